"""钉钉 (DingTalk) enterprise-internal robot: inbound parsing, the OpenAPI client, the channel.

Everything DingTalk-specific lives in bot/channels/dingtalk*.py (facts: PROTOCOLS.md §6–8):
  dingtalk.py         signatures, robot/card payloads → IncomingEvent, API client, Channel
  dingtalk_web.py     the HTTP-mode callback routes and the start-up/shutdown context
  dingtalk_stream.py  Stream mode over the official dingtalk-stream client

专有钉钉/浙政钉 use another, separately signed API family; a sibling adapter would reuse
the parsing here and replace DingTalkAPI (see README "钉钉").
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from tortoise.exceptions import IntegrityError

from bot import redact
from bot.channels.media_io import MediaIds, TooLarge, read_at_most
from bot.clock import utcnow
from bot.config import Settings
from bot.errors import ChannelAPIError, ChannelNetworkError, SignatureError
from bot.events import (
    Attachment,
    CardUpdate,
    EventKind,
    IncomingEvent,
    Outgoing,
    OutgoingCard,
    OutgoingFile,
    OutgoingText,
    UserRef,
)
from bot.media import Upload
from bot.rendering import msg, render
from bot.web import file_links
from models.dingtalk_state import DingTalkCard, DingTalkSession, DingTalkSignature

log = logging.getLogger(__name__)

NAME = "dingtalk"
MAX_SKEW = timedelta(hours=1)  # the platform's own rule for callback timestamps
SKEW_MARGIN = timedelta(minutes=5)
# a sessionWebhook lives about 90 min after the message (PROTOCOLS.md §6: both samples); a
# body asking for longer gets this much from when we received it
WEBHOOK_MAX_LIFE = timedelta(minutes=90)
MAX_BODY_BYTES = 64 * 1024
TOKEN_MARGIN = timedelta(minutes=5)
# a webhook that expires this soon is not worth trying; the proactive API is used instead
WEBHOOK_MARGIN = timedelta(minutes=2)
TEMPLATE_BUTTON_SLOTS = 2  # deploy/dingtalk/approval_card.json has btn0 and btn1
RETRYABLE_ERRCODES = frozenset({-1, 130101})  # system busy; custom robot "send too fast"
TITLE_CHARS = 40
USER_ID_CHARS = 64  # person.dingtalk_id, outbox.user_id
OUT_TRACK_ID_CHARS = 64
MSG_ID_CHARS = 128  # "msg:" + it is an inbound event id (≤ 191)
WEBHOOK_MAX_CHARS = 1024  # dingtalk_session.webhook
REASON_CHARS = 500  # a return reason typed into the card's input
# media/upload (上传媒体文件): a 普通文件 is at most 20 MB; the mediaId is reused for a
# retry of the same outbox row (a second upload would make the repeat look new)
FILE_MAX_BYTES = 20 * 1024 * 1024
# the legacy (oapi) answers for a bad or expired access_token: refresh once and retry
OAPI_TOKEN_ERRORS = frozenset({40014, 42001, 88})
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


# --- outbound payloads --------------------------------------------------------------------

def card_markdown(card: OutgoingCard, *, commands: bool) -> str:
    typed = [b.command for b in card.buttons if b.command] if commands else []
    return render("dingtalk/card.md.j2", card=card, commands=typed)


def card_params(card: OutgoingCard) -> dict[str, str]:
    """The template variables (all strings, as DingTalk requires)."""
    params = {"title": card.title, "markdown": card_markdown(card, commands=False),
              "status": card.status, "decided": "true" if not card.buttons else "false"}
    for slot in range(TEMPLATE_BUTTON_SLOTS):
        button = card.buttons[slot] if slot < len(card.buttons) else None
        params[f"btn{slot}_label"] = button.label if button else ""
        params[f"btn{slot}_style"] = button.style if button else ""
    return params


def _title(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first.lstrip("#* ")[:TITLE_CHARS] or msg("dingtalk.default_title")


def webhook_body(message: OutgoingText) -> dict[str, Any]:
    if message.markdown:
        return {"msgtype": "markdown",
                "markdown": {"title": _title(message.text), "text": message.text}}
    return {"msgtype": "text", "text": {"content": message.text}}


def robot_msg(message: OutgoingText) -> tuple[str, dict[str, str]]:
    """msgKey and msgParam for the robot OpenAPI sends."""
    if message.markdown:
        return "sampleMarkdown", {"title": _title(message.text), "text": message.text}
    return "sampleText", {"content": message.text}


def file_msg(name: str, media_id: str) -> tuple[str, dict[str, str]]:
    """The robot's file message: msgKey sampleFile, msgParam mediaId/fileName/fileType."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return "sampleFile", {"mediaId": media_id, "fileName": name, "fileType": suffix}


def multipart_media(boundary: str, name: str, data: bytes, content_type: str) -> bytes:
    """media/upload's form: the field `type` (file) and the file part `media`."""
    shown = name.replace("\\", "_").replace('"', "'").replace("\r", " ").replace("\n", " ")
    return (f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="type"\r\n\r\nfile\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="media"; filename="{shown}"\r\n'
            f"Content-Type: {content_type or 'application/octet-stream'}\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()


def as_markdown(card: OutgoingCard) -> OutgoingText:
    """A card where no interactive template can carry it: markdown with the typed commands."""
    return OutgoingText(f"### {card.title}\n\n{card_markdown(card, commands=True)}",
                        markdown=True)


# --- the OpenAPI client -------------------------------------------------------------------

def api_error(status: int, data: Any) -> ChannelAPIError | None:
    """The one place DingTalk answers become errors (old errcode style and new HTTP style)."""
    if isinstance(data, Mapping) and data.get("errcode") not in (None, 0, "0"):
        try:
            code = int(data["errcode"])
        except (TypeError, ValueError):
            code = -1
        return ChannelAPIError(code, str(data.get("errmsg", "")),
                               retryable=code in RETRYABLE_ERRCODES)
    if status < 300:
        if isinstance(data, Mapping) and data.get("success") is False:
            return ChannelAPIError(status, str(data.get("errorMsg") or data), retryable=False)
        return None
    detail = (f"{data.get('code', '')}: {data.get('message', '')}"
              if isinstance(data, Mapping) else str(data)[:200])
    return ChannelAPIError(status, detail, retryable=status in (401, 408, 429) or status >= 500)


class DingTalkAPI:
    """api.dingtalk.com over aiohttp: one cached access token, errors mapped by api_error()."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session: aiohttp.ClientSession | None = None
        self._token = ""
        self._expires = datetime.min.replace(tzinfo=UTC)
        self._lock = asyncio.Lock()

    def bind(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def request(self, method: str, url: str, body: Any = None,
                      headers: Mapping[str, str] | None = None, *,
                      raw: bytes | None = None) -> tuple[int, Any]:
        if self.session is None:
            raise ChannelNetworkError("dingtalk channel is not started")
        try:
            async with self.session.request(method, url, json=body, data=raw,
                                            headers=dict(headers or {})) as resp:
                text = await resp.text()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelNetworkError(f"{method} {url.split('?')[0]}: {exc!r}") from exc
        try:
            return status, json.loads(text) if text else {}
        except json.JSONDecodeError:
            return status, text

    async def token(self) -> str:
        """The app's access token, fetched once and refreshed five minutes early."""
        async with self._lock:
            if self._token and utcnow() < self._expires:
                return self._token
            status, data = await self.request(
                "POST", self.settings.dingtalk_api_base + "/v1.0/oauth2/accessToken",
                {"appKey": self.settings.dingtalk_app_key,
                 "appSecret": self.settings.dingtalk_app_secret})
            error = api_error(status, data)
            if error is None and not (isinstance(data, Mapping) and data.get("accessToken")):
                error = ChannelAPIError(status, "no accessToken in answer", retryable=True)
            if error:
                raise error
            self._token = data["accessToken"]
            redact.register(self._token)
            self._expires = utcnow() + timedelta(seconds=int(data.get("expireIn", 7200)))
            self._expires -= TOKEN_MARGIN
            return self._token

    def reset_token(self) -> None:
        self._token = ""

    async def call(self, method: str, path: str, body: Any) -> Any:
        """An authenticated api.dingtalk.com call; a 401 resets the token and retries once."""
        for attempt in (1, 2):
            headers = {"x-acs-dingtalk-access-token": await self.token()}
            status, data = await self.request(method, self.settings.dingtalk_api_base + path,
                                              body, headers)
            if status == 401 and attempt == 1:
                self.reset_token()
                continue
            error = api_error(status, data)
            if error:
                raise error
            return data
        raise AssertionError("unreachable")

    async def upload(self, name: str, data: bytes, content_type: str) -> str:
        """上传媒体文件: POST {oapi}/media/upload?access_token= (multipart: type=file and the
        file as `media`); the app's access token serves the legacy API too. The media_id."""
        boundary = "govmedia" + uuid.uuid4().hex
        body = multipart_media(boundary, name, data, content_type)
        for attempt in (1, 2):
            token = await self.token()
            status, answer = await self.request(
                "POST", f"{self.settings.dingtalk_oapi_base}/media/upload?access_token={token}",
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, raw=body)
            error = api_error(status, answer)
            if error is not None and error.errcode in OAPI_TOKEN_ERRORS and attempt == 1:
                self.reset_token()
                continue
            if error is not None:
                raise error
            media_id = answer.get("media_id") if isinstance(answer, Mapping) else None
            if not isinstance(media_id, str) or not media_id:
                raise ChannelNetworkError("media/upload: answer without media_id")
            return media_id
        raise AssertionError("unreachable")

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes behind a short-lived download URL, read no further than max_bytes."""
        if self.session is None:
            raise ChannelNetworkError("dingtalk channel is not started")
        try:
            async with self.session.get(url) as resp:
                if resp.status != 200:
                    raise ChannelAPIError(resp.status, "download refused",
                                          retryable=resp.status >= 500)
                return await read_at_most(resp, max_bytes)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelNetworkError(f"download: {exc!r}") from exc

    async def webhook(self, url: str, body: Any) -> Any:
        """POST to a webhook (sessionWebhook, custom robot): errcode-style answers."""
        status, data = await self.request("POST", url, body)
        error = api_error(status, data)
        if error:
            raise error
        return data


# --- the channel ------------------------------------------------------------------------

class DingTalkChannel:
    """Delivers neutral messages to DingTalk staff ids; owns the card state table."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.api = DingTalkAPI(settings)
        self._media = MediaIds(settings, "DingTalk", (1, FILE_MAX_BYTES))

    @property
    def callback_type(self) -> str:
        return "HTTP" if self.settings.dingtalk_mode == "http" else "STREAM"

    @property
    def route_key(self) -> str:
        return f"govmedia-{self.settings.dingtalk_app_key}"[:64]

    # inbound

    async def accept_message(self, data: Any) -> IncomingEvent:
        """Parse a robot message and remember its reply webhook; BadCallback if unusable."""
        event = robot_event(data)
        session = session_of(data, self.settings)
        if session:
            url, expires = session
            await DingTalkSession.update_or_create(
                user_id=event.user.user_id, defaults={"webhook": url, "expires_at": expires})
        return event

    async def accept_card(self, data: Any, event_id: str) -> IncomingEvent:
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

    async def fetch_media(self, attachment: Attachment, max_bytes: int) -> Upload:
        """A file or picture a member sent the robot: messageFiles/download turns the
        downloadCode into a short-lived URL, read up to max_bytes."""
        answer = await self.api.call("POST", "/v1.0/robot/messageFiles/download", {
            "downloadCode": attachment.ref, "robotCode": self.settings.dingtalk_robot_code})
        url = answer.get("downloadUrl") if isinstance(answer, Mapping) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ChannelAPIError(0, "messageFiles/download: no downloadUrl", retryable=False)
        try:
            data = await self.api.download(url, max_bytes)
        except TooLarge as exc:
            raise exc.refusal(max_bytes) from None
        return Upload(attachment.name, data)

    async def register_card_callback(self) -> None:
        """HTTP mode: route card callbacks of this app to our /dingtalk/card URL."""
        await self.api.call("POST", "/v1.0/card/callbacks/register", {
            "callbackRouteKey": self.route_key,
            "callbackUrl": self.settings.dingtalk_card_callback_url,
            "apiSecret": self.settings.dingtalk_app_secret,
            "forceUpdate": True,
        })

    # outbound (Channel protocol)

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        if isinstance(message, OutgoingFile):
            await self._send_file(user_id, message)
            return
        if isinstance(message, OutgoingCard):
            if self._interactive(message):
                await self._send_card(user_id, message, outbox_id)
                return
            message = as_markdown(message)  # a static message: update_card finds no copy
        await self._send_text(user_id, message)

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        """PUT the decided card to every interactive copy this user holds. The callback
        answer would change only the tapper's view; this changes it for everyone."""
        copies = await DingTalkCard.filter(card_ref=update.card.card_ref, user_id=user_id,
                                           delivered=True)
        for copy in copies:
            await self.api.call("PUT", "/v1.0/card/instances", {
                "outTrackId": copy.out_track_id,
                "cardData": {"cardParamMap": card_params(update.card)},
                "cardUpdateOptions": {"updateCardDataByKey": True},
            })
            await DingTalkCard.filter(id=copy.id).update(decided=not update.card.buttons)
        if not copies:
            log.info("dingtalk: no interactive copy of %s for %s; nothing to update",
                     update.card.card_ref, user_id)

    def _interactive(self, card: OutgoingCard) -> bool:
        return bool(self.settings.dingtalk_card_template_id and card.buttons
                    and len(card.buttons) <= TEMPLATE_BUTTON_SLOTS)

    async def _send_card(self, user_id: str, card: OutgoingCard, outbox_id: int) -> None:
        # the row exists before the call, so a retry of this outbox row reuses its outTrackId
        row, _ = await DingTalkCard.get_or_create(outbox_id=outbox_id, defaults={
            "out_track_id": uuid.uuid4().hex, "card_ref": card.card_ref, "user_id": user_id,
            "button_keys": [b.key for b in card.buttons]})
        body: dict[str, Any] = {
            "cardTemplateId": self.settings.dingtalk_card_template_id,
            "outTrackId": row.out_track_id,
            "callbackType": self.callback_type,
            "cardData": {"cardParamMap": card_params(card)},
            "openSpaceId": f"dtv1.card//IM_ROBOT.{user_id}",
            "imRobotOpenSpaceModel": {"supportForward": False},
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT",
                                        "robotCode": self.settings.dingtalk_robot_code},
            "userIdType": 1,
        }
        if self.callback_type == "HTTP":
            body["callbackRouteKey"] = self.route_key
        data = await self.api.call("POST", "/v1.0/card/instances/createAndDeliver", body)
        _check_delivery(data)
        await DingTalkCard.filter(id=row.id).update(delivered=True)

    async def _send_text(self, user_id: str, message: OutgoingText) -> None:
        """Through the person's fresh sessionWebhook, else the proactive batchSend API."""
        session = await DingTalkSession.get_or_none(user_id=user_id)
        if session and session.expires_at - WEBHOOK_MARGIN > utcnow():
            try:
                await self.api.webhook(session.webhook, webhook_body(message))
                return
            except ChannelAPIError:
                # a refused webhook is dropped; the retry goes through batchSend
                await DingTalkSession.filter(user_id=user_id).delete()
                raise ChannelAPIError(-1, "sessionWebhook refused", retryable=True) from None
        if user_id.startswith("group:"):
            await self.send_group(user_id.removeprefix("group:"), message)
            return
        key, param = robot_msg(message)
        data = await self.api.call("POST", "/v1.0/robot/oToMessages/batchSend", {
            "robotCode": self.settings.dingtalk_robot_code, "userIds": [user_id],
            "msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)})
        _check_batch(data, user_id)

    async def _send_file(self, user_id: str, file: OutgoingFile) -> None:
        """Upload the file, then the robot's sampleFile message (a sessionWebhook cannot
        carry files, so it always goes through the OpenAPI)."""
        if file.size > FILE_MAX_BYTES:  # over what media/upload takes: a download link
            await self._send_text(user_id, await file_links.link_text(self.settings, user_id,
                                                                      file))
            return
        key, param = file_msg(file.name, await self._media.media_id(file, self.api.upload))
        data = await self.api.call("POST", "/v1.0/robot/oToMessages/batchSend", {
            "robotCode": self.settings.dingtalk_robot_code, "userIds": [user_id],
            "msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)})
        _check_batch(data, user_id)

    async def send_group(self, open_conversation_id: str, message: OutgoingText) -> None:
        """A group digest through the robot (it must be in the group)."""
        key, param = robot_msg(message)
        await self.api.call("POST", "/v1.0/robot/groupMessages/send", {
            "robotCode": self.settings.dingtalk_robot_code,
            "openConversationId": open_conversation_id,
            "msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)})


def _check_batch(data: Any, user_id: str) -> None:
    if not isinstance(data, Mapping):
        return
    if user_id in (data.get("flowControlledStaffIdList") or []):
        raise ChannelAPIError(429, f"flow controlled: {user_id}", retryable=True)
    if user_id in (data.get("invalidStaffIdList") or []):
        raise ChannelAPIError(400, f"invalid staff id: {user_id}", retryable=False)


def _check_delivery(data: Any) -> None:
    result = data.get("result") if isinstance(data, Mapping) else None
    for item in (result or {}).get("deliverResults") or []:
        if isinstance(item, Mapping) and item.get("success") is False:
            raise ChannelAPIError(400, f"card not delivered: {item.get('errorMsg', '')}",
                                  retryable=False)
