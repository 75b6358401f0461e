"""企业微信 / 政务微信: the encrypted callback and the outgoing adapter.

Inbound (`/wecom/callback`): verify msg_signature, decrypt and parse with wechatpy, store
the event in the inbox (bot/inbox.py) and answer 200 with an empty body once it is on disk
(WeCom retries after 5 s, never after a 200); the pump handles it from there. Outbound:
text, markdown and `button_interaction` template cards through message/send, card updates
through update_template_card with the stored response_code. Protocol notes:
../shared/PROTOCOLS.md §1–5.
"""

from __future__ import annotations

import hashlib
import logging
import re
import struct
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.parsers.expat import ExpatError

import aiohttp
from aiohttp import web
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.bodies import read_body
from bot.channels.media_io import MediaIds, TooLarge
from bot.channels.wecom_api import ALL_RECEIVERS_INVALID, WeComAPI
from bot.clock import utcnow
from bot.config import Settings
from bot.errors import ChannelAPIError, RecipientError
from bot.events import (
    UNSUPPORTED,
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
from bot.inbox import BadEvent
from bot.media import Upload
from bot.rendering import msg
from bot.web import file_links
from models.channel_state import CardCopy

log = logging.getLogger(__name__)

NAME = "wecom"
MAX_BODY_BYTES = 64 * 1024  # a real callback is a few KB; anything larger is refused
TEXT_MAX_BYTES = 2048  # message/send text and markdown content
# longer than the default outbox lease (a crashed sender's rows are retried after it),
# short enough that a person asking the same thing twice soon gets the answer twice
DUPLICATE_CHECK_SECONDS = 120
TASK_ID_MAX = 128
USER_ID_CHARS = 64  # person.wecom_id, outbox.user_id
# WeCom answers within seconds and retries for ~15 s (PROTOCOLS.md §1); it documents no
# window for the timestamp, so this is generous (clock skew of a private deployment) and
# well inside how long the inbox remembers event ids (housekeeping.INBOUND_KEEP)
CALLBACK_MAX_AGE = timedelta(hours=24)
CODE_LIFETIME = timedelta(hours=72)  # response_code: single use, 72 h (doc 94945)
# WeCom drops messages beyond 30/min and 1000/h to one member. A card row sends two
# messages (its text, then the card), so the limits are stated in rows at half.
MEMBER_LIMITS = ((15, 60.0), (500, 3600.0))
# 临时素材 (doc 90253): a file is 5 bytes to 20 MB; its media_id lives three days, and
# a retry within the reuse window sends the same media_id, so the duplicate check holds
FILE_MIN_BYTES, FILE_MAX_BYTES = 6, 20 * 1024 * 1024
BUTTON_STYLES = {"primary": 1, "danger": 2, "default": 3}
REPLACE_NAME_MAX = 8
HELP_COMMAND = "帮助"  # enter_agent is answered as if the person asked for help
_TASK_ID_BAD = re.compile(r"[^0-9A-Za-z_\-@]")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)

Accept = Callable[[IncomingEvent], Awaitable[None]]  # Inbox.accept: returns once on disk


def clip_bytes(text: str, limit: int) -> str:
    """Cut text to at most `limit` UTF-8 bytes, marking the cut."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    mark = msg("wecom.truncated")
    return raw[: limit - len(mark.encode())].decode(errors="ignore") + mark


def task_id_for(card_ref: str, outbox_id: int) -> str:
    """Unique per delivered copy; only the characters and length WeCom allows."""
    suffix = f"-o{outbox_id}"
    return _TASK_ID_BAD.sub("_", card_ref)[: TASK_ID_MAX - len(suffix)] + suffix


def template_card(card: OutgoingCard, task_id: str) -> dict[str, Any]:
    """A neutral card as a `button_interaction` template card (doc 90236)."""
    body: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": card.title[:36]},
        "sub_title_text": msg("wecom.card_body_above"),
        "horizontal_content_list": [{"keyname": k[:5], "value": v[:30]}
                                    for k, v in card.fields[:6]],
        "task_id": task_id,
        "button_list": [{"text": b.label, "style": BUTTON_STYLES.get(b.style, 1), "key": b.key}
                        for b in card.buttons[:6]],
    }
    if card.url:
        body["jump_list"] = [{"type": 1, "title": msg("wecom.card_open"), "url": card.url}]
    return body


def card_text(card: OutgoingCard) -> str:
    parts = [f"**{card.title}**", card.body_md, card.status]
    return "\n\n".join(p for p in parts if p)


def text_body(text: str, *, markdown: bool) -> dict[str, Any]:
    kind = "markdown" if markdown else "text"
    # A sender that dies between sending and recording the send retries the row after
    # its lease; the platform's duplicate check then drops the repeat (message/send doc).
    return {"msgtype": kind, kind: {"content": clip_bytes(text, TEXT_MAX_BYTES)},
            "enable_duplicate_check": 1, "duplicate_check_interval": DUPLICATE_CHECK_SECONDS}


class WeComChannel:
    """Delivers outbox rows to one WeCom app's members and its units' group robots."""

    name = NAME

    def __init__(self, settings: Settings, session: aiohttp.ClientSession) -> None:
        self.api = WeComAPI(session, api_base=settings.wecom_api_base,
                            corp_id=settings.wecom_corp_id, secret=settings.wecom_secret)
        self.agent_id = int(settings.wecom_agent_id)
        self.settings = settings
        self._media = MediaIds(settings, "WeCom", (FILE_MIN_BYTES, FILE_MAX_BYTES))

    def pace_limits(self, user_id: str) -> Sequence[tuple[int, float]]:
        return MEMBER_LIMITS

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        if isinstance(message, OutgoingText):
            await self._send(user_id, text_body(message.text, markdown=message.markdown))
        elif isinstance(message, OutgoingFile):
            await self._send_file(user_id, message)
        else:
            await self._send_card(user_id, message, outbox_id)

    async def fetch_media(self, attachment: Attachment, max_bytes: int) -> Upload:
        """A picture or file a member sent the app; WeCom keeps it for three days."""
        try:
            name, declared, data = await self.api.media(attachment.ref, max_bytes)
        except TooLarge as exc:
            raise exc.refusal(max_bytes) from None
        return Upload(attachment.name or name, data, declared)

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        """Grey out the buttons of every live copy; where that is impossible, say it."""
        card = update.card
        copies = await CardCopy.filter(channel=NAME, user_id=user_id, card_ref=card.card_ref,
                                       sent=True, decided=False)
        stale = [c for c in copies if not await self._update_copy(user_id, c, card)]
        if stale:
            # the code is spent or expired: a short status so no button looks live
            status = msg("wecom.card_decided", title=card.title, status=card.status)
            await self._send(user_id, text_body(status, markdown=False))
            await CardCopy.filter(id__in=[c.id for c in stale]).update(decided=True,
                                                                       update_code=None)

    async def _update_copy(self, user_id: str, copy: CardCopy, card: OutgoingCard) -> bool:
        if not copy.update_code or copy.code_expires_at is None \
                or copy.code_expires_at <= utcnow():
            return False
        # the status's first part ("已通过", "已退回") becomes the greyed button's name
        replace = (card.status.split(" · ")[0] or msg("wecom.card_done"))[:REPLACE_NAME_MAX]
        try:
            await self.api.post("/cgi-bin/message/update_template_card", {
                "userids": [user_id], "agentid": self.agent_id,
                "response_code": copy.update_code, "button": {"replace_name": replace}})
        except ChannelAPIError as exc:
            if exc.retryable:
                raise
            log.warning("wecom: update of card %s refused (%s); sending status instead",
                        copy.platform_ref, exc)
            return False
        await CardCopy.filter(id=copy.id).update(decided=True, update_code=None)
        return True

    async def _send(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        data = await self.api.post("/cgi-bin/message/send",
                                   {"touser": user_id, "agentid": self.agent_id, **body})
        if data.get("invaliduser"):
            raise RecipientError(ALL_RECEIVERS_INVALID, f"invaliduser {data['invaliduser']}")
        return data

    async def _send_card(self, user_id: str, card: OutgoingCard, outbox_id: int) -> None:
        """The card's full text as markdown, then the card; a retry skips what went out."""
        task_id = task_id_for(card.card_ref, outbox_id)
        copy, _ = await CardCopy.get_or_create(
            platform_ref=task_id,
            defaults={"channel": NAME, "user_id": user_id, "card_ref": card.card_ref,
                      "outbox_id": outbox_id, "button_keys": [b.key for b in card.buttons]})
        if copy.sent:
            return
        if not copy.body_sent:
            await self._send(user_id, text_body(card_text(card), markdown=True))
            await CardCopy.filter(id=copy.id).update(body_sent=True)
        if not card.buttons:
            await CardCopy.filter(id=copy.id).update(sent=True, decided=True)
            return
        data = await self._send(user_id, {"msgtype": "template_card",
                                          "template_card": template_card(card, task_id)})
        code = data.get("response_code") or None
        await CardCopy.filter(id=copy.id).update(
            sent=True, update_code=code, code_expires_at=utcnow() + CODE_LIFETIME if code else None)

    async def _send_file(self, user_id: str, file: OutgoingFile) -> None:
        """Upload the file as temporary media, then a file message (doc 90236 "文件消息");
        a file over the platform's limit goes as a signed download link instead."""
        if not FILE_MIN_BYTES <= file.size <= FILE_MAX_BYTES:
            text = await file_links.link_text(self.settings, user_id, file)
            await self._send(user_id, text_body(text.text, markdown=False))
            return
        media_id = await self._media.media_id(file, self.api.upload)
        await self._send(user_id, {"msgtype": "file", "file": {"media_id": media_id},
                                   "enable_duplicate_check": 1,
                                   "duplicate_check_interval": DUPLICATE_CHECK_SECONDS})


# --- inbound ---------------------------------------------------------------------------

def _msg_type(message: Any) -> str:
    # wechatpy has no class for file messages: they parse as "unknown" with MsgType kept
    return str(message._data.get("MsgType") or message.type)


class BadCallback(Exception):
    """The request is not a callback we accept; status is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


_DECRYPT_ERRORS = (ValueError, KeyError, TypeError, IndexError, struct.error, ExpatError,
                   InvalidCorpIdException)


class Callback:
    """Verifies, decrypts and parses callbacks into events for the inbox."""

    def __init__(self, settings: Settings, *, accept: Accept) -> None:
        self.crypto = WeChatCrypto(settings.wecom_token, settings.wecom_aes_key,
                                   settings.wecom_corp_id)
        self.tz = settings.tz
        self.accept = accept

    def _signed(self, request: web.Request) -> tuple[str, str, str]:
        try:
            signed = (request.query["msg_signature"], request.query["timestamp"],
                      request.query["nonce"])
        except KeyError:
            raise BadCallback(403, "missing signature") from None
        _fresh(signed[1])
        return signed

    def verify_url(self, request: web.Request) -> str:
        """GET: the decrypted echostr proves we hold the token and key."""
        signature, timestamp, nonce = self._signed(request)
        echostr = request.query.get("echostr", "")
        try:
            return self.crypto.check_signature(signature, timestamp, nonce, echostr)
        except InvalidSignatureException:
            raise BadCallback(403, "bad signature") from None
        except _DECRYPT_ERRORS as exc:
            raise BadCallback(400, f"undecryptable echostr ({type(exc).__name__})") from None

    def decrypt(self, request: web.Request, body: bytes) -> Any:
        """POST: the parsed wechatpy message, or BadCallback."""
        signature, timestamp, nonce = self._signed(request)
        if _DTD.search(body):  # WeCom never sends a DTD; entities are how XML bombs work
            raise BadCallback(400, "DTD in body")
        try:
            xml = self.crypto.decrypt_message(body.decode(), signature, timestamp, nonce)
        except InvalidSignatureException:
            raise BadCallback(403, "bad signature") from None
        except _DECRYPT_ERRORS as exc:
            raise BadCallback(400, f"undecryptable body ({type(exc).__name__})") from None
        if _DTD.search(xml.encode()):
            raise BadCallback(400, "DTD in payload")
        try:
            message = parse_message(xml)
            # wechatpy converts fields when read: a MsgId or CreateTime that is no number
            # raises there, so read them here, where it is a 400
            _ = message.time, message.source, message.id
            return message
        except (*_DECRYPT_ERRORS, AttributeError) as exc:  # no MsgType: None.lower()
            raise BadCallback(400, f"unparsable payload ({type(exc).__name__})") from None

    def event(self, message: Any) -> IncomingEvent | None:
        """The neutral event of one parsed message; None for kinds the bot ignores."""
        user = message.source
        if not isinstance(user, str) or not 0 < len(user) <= USER_ID_CHARS:
            raise BadCallback(400, "unusable FromUserName")
        if message.type == "text":
            return self._event(EventKind.MESSAGE, f"msg:{message.id}", message.source,
                               text=message.content or "")
        if _msg_type(message) in ("image", "file"):
            return self._attachment(message)
        if message.type == "event" and message.event == "enter_agent":
            # the help text once a day at most: the date is the event id
            day = utcnow().astimezone(self.tz).date().isoformat()
            return self._event(EventKind.MESSAGE, f"enter:{message.source}:{day}",
                               message.source, text=HELP_COMMAND)
        if message.type == "unknown" and message._data.get("Event") == "template_card_event":
            return self._card_event(message._data)
        if message.type not in ("event", "unknown"):
            return self._unsupported(message)
        log.info("wecom: ignored %s event", message._data.get("Event", message.type))
        return None

    def _event(self, kind: EventKind, event_id: str, user_id: str, *, text: str = "",
               action: str = "", attachment: Attachment | None = None,
               payload: dict[str, str] | None = None) -> IncomingEvent:
        return IncomingEvent(channel=NAME, kind=kind, event_id=event_id,
                             user=UserRef(NAME, user_id), received_at=utcnow(), text=text,
                             action=action, attachment=attachment, payload=payload or {})

    def _unsupported(self, message: Any) -> IncomingEvent:
        """Voice, video, location, link, a picture without MediaId: the core answers what
        it can read."""
        return self._event(EventKind.MESSAGE, f"msg:{message.id}", message.source,
                           payload={UNSUPPORTED: _msg_type(message)})

    def _attachment(self, message: Any) -> IncomingEvent:
        """An image (MediaId, PicUrl) or file (MediaId, FileName) message (doc 90239)."""
        media_id = str(message._data.get("MediaId") or "")
        if not media_id:
            return self._unsupported(message)
        name = str(message._data.get("FileName") or "")
        return self._event(EventKind.MESSAGE, f"msg:{message.id}", message.source,
                           attachment=Attachment(_msg_type(message), media_id, name))

    def _card_event(self, data: dict[str, Any]) -> IncomingEvent | None:
        fields = [str(data.get(k) or "") for k in ("FromUserName", "CreateTime", "TaskId",
                                                    "EventKey")]
        if not all(fields):
            log.warning("wecom: card event without %s ignored",
                        "/".join(k for k, v in zip(("user", "time", "task", "key"), fields,
                                                   strict=True) if not v))
            return None
        digest = hashlib.sha1("\n".join(fields).encode()).hexdigest()
        user, created, task_id, key = fields
        if len(task_id) > TASK_ID_MAX:  # none of ours: task_id_for keeps to WeCom's limit
            raise BadCallback(400, "TaskId too long")
        code = str(data.get("ResponseCode") or "")
        return self._event(EventKind.CARD_ACTION, f"card:{digest}", user, action=key,
                           payload={TASK: task_id, CREATED: created, CODE: code})

    async def prepare(self, event: IncomingEvent) -> IncomingEvent | None:
        """At handling time (the inbox pump): a tap counts only on a card we sent, with one
        of its keys; it brings a fresh response_code for updating that card."""
        task_id = event.payload.get(TASK)
        if event.kind is not EventKind.CARD_ACTION or task_id is None:
            return event
        copy = await CardCopy.get_or_none(channel=NAME, platform_ref=task_id)
        if copy is None or event.action not in copy.button_keys:
            log.warning("wecom: click on task %s we never sent (or a foreign key) ignored",
                        task_id)
            return None
        created, code = event.payload.get(CREATED, ""), event.payload.get(CODE, "")
        when = int(created) if created.isdigit() else 0
        if copy.user_id == event.user.user_id and code and not copy.decided:
            # each click brings a fresh response_code; a replayed older click never wins
            await CardCopy.filter(id=copy.id, code_event_time__lt=when).update(
                update_code=code, code_expires_at=utcnow() + CODE_LIFETIME,
                code_event_time=when)
        return event


# IncomingEvent.payload keys of a card tap, read back by Callback.prepare
TASK, CREATED, CODE = "task_id", "created", "code"


def _fresh(timestamp: str) -> None:
    """The signed timestamp is within CALLBACK_MAX_AGE of now: a captured callback cannot
    be replayed once the inbox has forgotten its event id (bot/housekeeping.py)."""
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadCallback(400, "bad timestamp") from None
    if abs(utcnow() - sent) > CALLBACK_MAX_AGE:
        raise BadCallback(403, "stale timestamp")


async def _read_body(request: web.Request) -> bytes:
    """The whole body, however many reads it comes in (a valid callback split was a 400)."""
    try:
        return await read_body(request, MAX_BODY_BYTES)
    except web.HTTPRequestEntityTooLarge:
        raise BadCallback(413, "body too large") from None


def routes(callback: Callback) -> list[web.RouteDef]:
    """GET (URL verification) and POST (messages and events) on /wecom/callback."""

    async def get(request: web.Request) -> web.Response:
        try:
            return web.Response(text=callback.verify_url(request))
        except BadCallback as exc:
            return _refuse(request, exc)

    async def post(request: web.Request) -> web.Response:
        try:
            event = callback.event(callback.decrypt(request, await _read_body(request)))
            if event is not None:
                await callback.accept(event)  # on disk before the 200
        except BadCallback as exc:
            return _refuse(request, exc)
        except BadEvent as exc:
            return _refuse(request, BadCallback(400, str(exc)))
        except Exception as exc:
            # not stored (shutting down, database unreachable): WeCom retries a non-200
            return _refuse(request, BadCallback(503, f"not stored ({type(exc).__name__})"))
        return web.Response(status=200, body=b"")

    return [web.get("/wecom/callback", get), web.post("/wecom/callback", post)]


def _refuse(request: web.Request, exc: BadCallback) -> web.Response:
    # never log the body: it may be a forged payload or someone's message
    log.warning("wecom: callback refused with %s from %s: %s", exc.status, request.remote, exc)
    return web.Response(status=exc.status)
