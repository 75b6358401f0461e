"""钉钉 inbound: signatures, robot-message and card-callback payloads, the HTTP routes.

HTTP mode: POST /dingtalk/callback (robot messages) and POST /dingtalk/card (card taps,
registered with /v1.0/card/callbacks/register). Both are signed with the timestamp/sign
headers; bad input is a 4xx and changes nothing. Stream mode (stream.py) serves no
route and parses the same payloads here. Facts: PROTOCOLS.md §6–8.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from tortoise.exceptions import IntegrityError

from bot.bodies import loads_json, read_body
from bot.channels.base import Accept, take
from bot.channels.dingtalk import NAME
from bot.clock import utcnow
from bot.config import Settings
from bot.errors import SignatureError
from bot.events import Attachment, EventKind, IncomingEvent, UserRef
from models.dingtalk_state import DingTalkCard, DingTalkSession, DingTalkSignature

log = logging.getLogger(__name__)

MAX_SKEW = timedelta(hours=1)  # the platform's own rule for callback timestamps
SKEW_MARGIN = timedelta(minutes=5)
# a sessionWebhook lives about 90 min after the message (PROTOCOLS.md §6: both samples); a
# body asking for longer gets this much from when we received it
WEBHOOK_MAX_LIFE = timedelta(minutes=90)
MAX_BODY_BYTES = 64 * 1024
USER_ID_CHARS = 64  # person.dingtalk_id, outbox.user_id
MSG_ID_CHARS = 128  # "msg:" + it is an inbound event id (≤ 191)
WEBHOOK_MAX_CHARS = 1024  # dingtalk_session.webhook
REASON_CHARS = 500  # a return reason typed into the card's input
OUT_TRACK_ID_CHARS = 64  # dingtalk_card.out_track_id
# robot messages that carry a file: msgtype -> Attachment.kind
ATTACHMENT_KINDS = {"file": "file", "picture": "image"}



class BadCallback(ValueError):
    """An inbound payload that is not a usable robot message or card callback."""


# --- signatures -------------------------------------------------------------------------

def sign(secret: str, timestamp: str) -> str:
    """base64(HmacSHA256(secret, timestamp + "\\n" + secret)), as DingTalk computes it."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def verify_sign(secret: str, timestamp: str | None, signature: str | None,
                now: datetime) -> None:
    """Raise SignatureError unless the headers are present, fresh and signed with secret."""
    if not timestamp or not signature:
        raise SignatureError("missing timestamp or sign header")
    try:
        sent = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError("bad timestamp") from None
    if abs(now - sent) > MAX_SKEW:
        raise SignatureError("stale timestamp")
    # bytes: compare_digest refuses a str with non-ASCII characters (a 500 before)
    if not hmac.compare_digest(sign(secret, timestamp).encode(),
                               signature.encode("utf-8", "replace")):
        raise SignatureError("bad sign")


async def claim_signature(timestamp: str, signature: str, event_id: str) -> bool:
    """Remember the pair an accepted callback came under; False when it already carried
    another event (a captured pair replayed with a new body). The same event again is a
    platform retry, which the inbox makes a no-op. Kept in the database, so a restart or
    another replica remembers it; pruned after MAX_SKEW (prune_signatures)."""
    pair = hashlib.sha256(f"{timestamp}\n{signature}".encode()).hexdigest()
    signed_at = _ms(timestamp) or utcnow()
    try:
        await DingTalkSignature.create(pair=pair, event_id=event_id, signed_at=signed_at)
        return True
    except IntegrityError:
        seen = await DingTalkSignature.get_or_none(pair=pair)
        return seen is not None and seen.event_id == event_id


async def prune_signatures(now: datetime) -> int:
    """Forget pairs no callback can use any more (verify_sign refuses them as stale)."""
    return await DingTalkSignature.filter(signed_at__lt=now - MAX_SKEW - SKEW_MARGIN).delete()


# --- inbound payloads ---------------------------------------------------------------------

def _ms(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _sender(data: Mapping[str, Any]) -> str:
    """senderStaffId is the org user id; guests without one get a prefixed senderId."""
    staff = data.get("senderStaffId")
    if isinstance(staff, str) and staff:
        if len(staff) > USER_ID_CHARS:
            raise BadCallback("senderStaffId too long")
        return staff
    sender = data.get("senderId")
    if isinstance(sender, str) and sender:
        return f"dt:{sender}"[:64]
    raise BadCallback("no sender")


def robot_event(data: Any) -> IncomingEvent:
    """A robot message (HTTP body or Stream data) as a neutral MESSAGE event."""
    if not isinstance(data, Mapping):
        raise BadCallback("not an object")
    msg_id = data.get("msgId")
    if not isinstance(msg_id, str) or not msg_id or len(msg_id) > MSG_ID_CHARS:
        raise BadCallback("no usable msgId")
    text = ""
    if data.get("msgtype") == "text":
        content = data.get("text")
        text = content.get("content", "") if isinstance(content, Mapping) else ""
        if not isinstance(text, str):
            raise BadCallback("text.content is not a string")
    user = _sender(data)
    return IncomingEvent(channel=NAME, kind=EventKind.MESSAGE, event_id=f"msg:{msg_id}",
                         user=UserRef(NAME, user), received_at=utcnow(), text=text.strip(),
                         chat_id=str(data.get("conversationId", "")),
                         attachment=attachment_of(data), raw=dict(data))


def attachment_of(data: Mapping[str, Any]) -> Attachment | None:
    """A file message (content.downloadCode, content.fileName) or a picture message
    (content.downloadCode) as the robot receives it; None for anything else."""
    kind = ATTACHMENT_KINDS.get(str(data.get("msgtype")))
    if kind is None:
        return None
    content = data.get("content")
    if isinstance(content, str):  # Stream data may carry it as a JSON string
        content = _loads(content)
    if not isinstance(content, Mapping):
        raise BadCallback(f"{kind} message without content")
    code = content.get("downloadCode") or content.get("pictureDownloadCode")
    if not isinstance(code, str) or not code:
        raise BadCallback(f"{kind} message without downloadCode")
    name = content.get("fileName")
    return Attachment(kind, code, name if isinstance(name, str) else "")


def _origin(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
        return (parts.scheme.lower(), parts.netloc.lower()) if parts.hostname else None
    except ValueError:
        return None


def session_of(data: Mapping[str, Any], settings: Settings | None = None
               ) -> tuple[str, datetime] | None:
    """The reply webhook of a single-chat message. Group webhooks are never kept: replies
    about drafts go to the person, not to the group they happened to write in.

    Only a webhook on the DingTalk API host (oapi/api base, so 专有钉钉 and tests can
    point elsewhere) is kept, and never for longer than WEBHOOK_MAX_LIFE from now: a forged
    body must not receive the replies (issue 13 item 4)."""
    if str(data.get("conversationType")) != "1":
        return None
    settings = settings or Settings()
    url, expires = data.get("sessionWebhook"), _ms(data.get("sessionWebhookExpiredTime"))
    if not isinstance(url, str) or len(url) > WEBHOOK_MAX_CHARS or not expires:
        return None
    allowed = {_origin(settings.dingtalk_oapi_base), _origin(settings.dingtalk_api_base)}
    if _origin(url) not in allowed - {None}:
        log.warning("dingtalk: sessionWebhook on a foreign host ignored")
        return None
    return url, min(expires, utcnow() + WEBHOOK_MAX_LIFE)


def _loads(value: Any) -> Any:
    """Card callback fields arrive as JSON strings (HTTP) or already decoded."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value else {}
        except json.JSONDecodeError:
            raise BadCallback("content is not JSON") from None
    return value if value is not None else {}


def _params(data: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """cardPrivateData and its params (the button's own and the card's input values)."""
    content = _loads(data.get("content"))
    private = content.get("cardPrivateData", {}) if isinstance(content, Mapping) else {}
    if not isinstance(private, Mapping):
        return {}, {}
    params = private.get("params") or {}
    return private, params if isinstance(params, Mapping) else {}


def card_reason(data: Mapping[str, Any]) -> str:
    """The text typed into the card's `reason` input before 退回 was tapped ("" if none)."""
    reason = _params(data)[1].get("reason")
    return reason.strip()[:REASON_CHARS] if isinstance(reason, str) else ""


def card_slot(data: Mapping[str, Any]) -> int | None:
    """Which template button was tapped: params.button, or the action id "btnN"."""
    private, params = _params(data)
    if not private:
        return None
    raw = params.get("button") if isinstance(params, Mapping) else None
    if raw is None:
        ids = private.get("actionIds") or []
        raw = ids[0].removeprefix("btn") if ids and isinstance(ids[0], str) else None
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


# --- events ------------------------------------------------------------------------

async def accept_message(data: Any, settings: Settings) -> IncomingEvent:
    """Parse a robot message and remember its reply webhook; BadCallback if unusable."""
    event = robot_event(data)
    session = session_of(data, settings)
    if session:
        url, expires = session
        await DingTalkSession.update_or_create(
            user_id=event.user.user_id, defaults={"webhook": url, "expires_at": expires})
    return event


async def accept_card(data: Any, event_id: str) -> IncomingEvent:
    """A card button tap as a CARD_ACTION; an unknown card or slot has no action, so
    the dispatcher answers that the card is no longer valid."""
    if not isinstance(data, Mapping):
        raise BadCallback("not an object")
    user = data.get("userId")
    if not isinstance(user, str) or not user or len(user) > USER_ID_CHARS:
        raise BadCallback("no usable userId")
    track = str(data.get("outTrackId", ""))
    # ours are at most 64 characters (dingtalk_card.out_track_id); others are unknown
    card = await DingTalkCard.get_or_none(out_track_id=track) \
        if 0 < len(track) <= OUT_TRACK_ID_CHARS else None
    slot = card_slot(data)
    key = ""
    if card is not None and slot is not None and 0 <= slot < len(card.button_keys):
        key = card.button_keys[slot]
    reason = card_reason(data)
    return IncomingEvent(channel=NAME, kind=EventKind.CARD_ACTION,
                         event_id=f"card:{event_id}", user=UserRef(NAME, user),
                         received_at=utcnow(), action=key,
                         payload={"reason": reason} if reason else {}, raw=dict(data))


# --- HTTP routes ---------------------------------------------------------------------

async def _verified(request: web.Request, secret: str) -> tuple[bytes, Any]:
    """The raw body (read whole) and its JSON, after the size and signature checks."""
    raw = await read_body(request, MAX_BODY_BYTES)
    try:
        verify_sign(secret, request.headers.get("timestamp"), request.headers.get("sign"),
                    utcnow())
    except SignatureError as exc:
        log.warning("dingtalk callback refused from %s: %s", request.remote, exc)
        raise web.HTTPForbidden(text="bad signature") from None
    try:
        return raw, loads_json(raw)
    except ValueError:  # not UTF-8, not JSON, nested too deep, a lone surrogate
        raise web.HTTPBadRequest(text="body is not JSON") from None


async def _claim(request: web.Request, event_id: str) -> None:
    """One body per (timestamp, sign) pair: the sign covers no body (issue 13 item 4)."""
    if not await claim_signature(request.headers["timestamp"], request.headers["sign"],
                                 event_id):
        log.warning("dingtalk callback refused from %s: signature reused for another event "
                    "(%s)", request.remote, event_id)
        raise web.HTTPForbidden(text="signature already used")


def routes(settings: Settings, feed: Accept) -> list[web.RouteDef]:
    """POST /dingtalk/callback (robot messages) and /dingtalk/card (card taps)."""
    secret = settings.dingtalk_app_secret

    async def robot(request: web.Request) -> web.Response:
        _, data = await _verified(request, secret)
        try:
            await _claim(request, robot_event(data).event_id)
            event = await accept_message(data, settings)
        except BadCallback as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        await take(feed, event)
        return web.json_response({})

    async def card(request: web.Request) -> web.Response:
        raw, data = await _verified(request, secret)
        # an HTTP card callback carries no id of its own; a platform retry repeats the body
        digest = hashlib.sha256(raw).hexdigest()[:40]
        await _claim(request, f"card:{digest}")
        try:
            event = await accept_card(data, digest)
        except BadCallback as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        await take(feed, event)
        return web.json_response({})

    return [web.post("/dingtalk/callback", robot), web.post("/dingtalk/card", card)]

