"""The browser simulator: a stand-in messaging app at /sim/.

Its "platform" is the sim_message table: what the bot sends lands there, and the
page polls it. Inbound messages and card taps become the same IncomingEvent a real
platform produces and go through the same dispatcher, outbox and cards.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

from bot.clock import utcnow
from bot.config import Settings
from bot.errors import ChannelAPIError, DomainError
from bot.events import Attachment, CardUpdate, EventKind, IncomingEvent, Outgoing, UserRef
from bot.inbox import BadEvent
from bot.media import Upload, image_type, load, store
from bot.rendering import msg, render
from models.files import DOCX, IMAGE, StoredFile
from models.org import Person
from models.system import SimMessage

log = logging.getLogger(__name__)

NAME = "sim"
Accept = Callable[[IncomingEvent], Awaitable[None]]  # Inbox.accept: returns once on disk
HISTORY = 200


class SimChannel:
    """Delivers into the simulator mailbox; idempotent per outbox row. Files uploaded on the
    page are kept like any sent file; an attachment's ref is the stored file's id."""

    name = NAME

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    async def fetch_media(self, attachment: Attachment, max_bytes: int) -> Upload:
        file = await StoredFile.get_or_none(id=int(attachment.ref)) \
            if attachment.ref.isdigit() else None
        if file is None:
            raise ChannelAPIError(404, f"no uploaded file {attachment.ref}", retryable=False)
        if file.size > max_bytes:
            raise DomainError("draft.file_too_big", limit=round(max_bytes / 1024 / 1024),
                              size=round(file.size / 1024 / 1024, 1))
        return Upload(file.name, await load(self.settings, file))

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        payload = message.to_dict()
        await SimMessage.get_or_create(
            outbox_id=outbox_id,
            defaults={"user_id": user_id, "direction": "out", "payload": payload,
                      "card_ref": payload.get("card_ref")},
        )

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        await SimMessage.filter(user_id=user_id, card_ref=update.card.card_ref).update(
            payload=update.card.to_dict(), updated_at=utcnow())


def text_event(user_id: str, text: str, event_id: str | None = None) -> IncomingEvent:
    return IncomingEvent(channel=NAME, kind=EventKind.MESSAGE,
                         event_id=event_id or uuid.uuid4().hex, user=UserRef(NAME, user_id),
                         received_at=utcnow(), text=text)


def file_event(user_id: str, file: StoredFile, event_id: str | None = None) -> IncomingEvent:
    kind = "image" if file.content_type.startswith("image/") else "file"
    return IncomingEvent(channel=NAME, kind=EventKind.MESSAGE,
                         event_id=event_id or uuid.uuid4().hex, user=UserRef(NAME, user_id),
                         received_at=utcnow(), attachment=Attachment(kind, str(file.id), file.name))


async def keep_upload(settings: Settings, name: str, data: bytes) -> StoredFile:
    """An uploaded file, kept until the bot takes it (or refuses it, telling why)."""
    kind = IMAGE if image_type(data) else DOCX
    return await store(settings, Upload(name, data), kind)


def tap_event(user_id: str, key: str, event_id: str | None = None) -> IncomingEvent:
    return IncomingEvent(channel=NAME, kind=EventKind.CARD_ACTION,
                         event_id=event_id or uuid.uuid4().hex, user=UserRef(NAME, user_id),
                         received_at=utcnow(), action=key)


async def mailbox(user_id: str) -> list[dict[str, Any]]:
    """The last messages of one person's chat with the bot, oldest first."""
    rows = await SimMessage.filter(user_id=user_id).order_by("-id").limit(HISTORY)
    return [{"id": r.id, "direction": r.direction, **r.payload} for r in reversed(rows)]


async def _people() -> list[dict[str, Any]]:
    people = await Person.filter(active=True).order_by("unit_id", "id").prefetch_related("unit")
    return [{"id": p.id, "name": p.name, "unit": p.unit.name,
             "roles": [msg(f"role.{r}") for r in p.roles]} for p in people]


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.text())
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="invalid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("user"), str):
        raise web.HTTPBadRequest(text="missing user")
    return data


async def _take(accept: Accept, event: IncomingEvent) -> None:
    """Store the event in the inbox (answered once it is on disk); 4xx/5xx if not."""
    try:
        await accept(event)
    except BadEvent as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    except Exception as exc:
        log.warning("sim: event %s not stored (%s)", event.event_id, type(exc).__name__)
        raise web.HTTPServiceUnavailable() from None


def routes(accept: Accept, settings: Settings | None = None) -> list[web.RouteDef]:
    """The simulator's HTTP routes; accept(event) stores an event in the inbox."""
    settings = settings or Settings()
    max_upload = int(max(settings.draft_file_max_mb, settings.picture_max_mb) * 1024 * 1024)

    async def page(request: web.Request) -> web.Response:
        html = render("sim/index.html.j2", bot_name=msg("sim.bot_name"))
        return web.Response(text=html, content_type="text/html")

    async def people(request: web.Request) -> web.Response:
        return web.json_response(await _people())

    async def messages(request: web.Request) -> web.Response:
        user = request.query.get("user", "")
        return web.json_response(await mailbox(user))

    async def send(request: web.Request) -> web.Response:
        data = await _json_body(request)
        text = str(data.get("text", ""))
        await SimMessage.create(user_id=data["user"], direction="in",
                                payload={"type": "text", "text": text, "markdown": False})
        await _take(accept, text_event(data["user"], text, data.get("event_id")))
        return web.json_response({"ok": True})

    async def file(request: web.Request) -> web.Response:
        """A file the bot sent this person (the simulator's stand-in for a download)."""
        user = request.query.get("user", "")
        try:
            file_id = int(request.query.get("id", ""))
        except ValueError:
            raise web.HTTPNotFound() from None
        sent = [m for m in await SimMessage.filter(user_id=user, direction="out")
                if m.payload.get("type") == "file" and m.payload.get("file_id") == file_id]
        stored = await StoredFile.get_or_none(id=file_id) if sent else None
        if stored is None:
            raise web.HTTPNotFound()
        name = quote(sent[-1].payload["name"])
        return web.Response(body=await load(settings, stored), content_type=stored.content_type,
                            headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
            "Cache-Control": "private, no-store"})

    async def upload(request: web.Request) -> web.Response:
        """A file from the page (multipart: user, event_id, file), as a platform delivers
        a file or picture message."""
        if (request.content_length or 0) > max_upload + 64 * 1024:
            raise web.HTTPRequestEntityTooLarge(max_upload, request.content_length or 0)
        form = await request.post()
        user, part = form.get("user"), form.get("file")
        if not isinstance(user, str) or not isinstance(part, web.FileField):
            raise web.HTTPBadRequest(text="missing user or file")
        data = part.file.read(max_upload + 1)
        if len(data) > max_upload:
            raise web.HTTPRequestEntityTooLarge(max_upload, len(data))
        # browsers send the name as UTF-8; some clients percent-encode it (RFC 7578 §4.2)
        name = unquote(part.filename or "") or "file"
        file = await keep_upload(settings, name, data)
        await SimMessage.create(user_id=user, direction="in",
                                payload={"type": "file", "name": name, "size": len(data)})
        event_id = form.get("event_id")
        await _take(accept, file_event(user, file,
                                       event_id if isinstance(event_id, str) else None))
        return web.json_response({"ok": True})

    async def tap(request: web.Request) -> web.Response:
        data = await _json_body(request)
        await _take(accept, tap_event(data["user"], str(data.get("key", "")),
                                      data.get("event_id")))
        return web.json_response({"ok": True})

    async def slash(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/sim/")

    return [
        web.get("/sim", slash),  # the address as people type it
        web.get("/sim/", page),
        web.get("/sim/api/people", people),
        web.get("/sim/api/messages", messages),
        web.post("/sim/api/send", send),
        web.post("/sim/api/tap", tap),
        web.get("/sim/api/file", file),
        web.post("/sim/api/upload", upload),
    ]
