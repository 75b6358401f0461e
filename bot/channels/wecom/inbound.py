"""企业微信 / 政务微信 inbound: the encrypted callback at `/wecom/callback`.

Verify msg_signature, decrypt and parse with wechatpy, store the event in the inbox
(bot/inbox.py) and answer 200 with an empty body once it is on disk (WeCom retries
after 5 s, never after a 200); the pump handles it from there. Protocol notes:
../shared/PROTOCOLS.md §1–5.
"""

from __future__ import annotations

import hashlib
import logging
import re
import struct
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.parsers.expat import ExpatError

from aiohttp import web
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.bodies import read_body
from bot.channels.base import Accept
from bot.channels.wecom import NAME
from bot.channels.wecom.cards import CODE_LIFETIME, TASK_ID_MAX
from bot.clock import utcnow
from bot.config import Settings
from bot.events import UNSUPPORTED, Attachment, EventKind, IncomingEvent, UserRef
from bot.inbox import BadEvent
from models.channel_state import CardCopy

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a real callback is a few KB; anything larger is refused
USER_ID_CHARS = 64  # person.wecom_id, outbox.user_id
# WeCom answers within seconds and retries for ~15 s (PROTOCOLS.md §1); it documents no
# window for the timestamp, so this is generous (clock skew of a private deployment) and
# well inside how long the inbox remembers event ids (housekeeping.INBOUND_KEEP)
CALLBACK_MAX_AGE = timedelta(hours=24)
HELP_COMMAND = "帮助"  # enter_agent is answered as if the person asked for help
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)



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
