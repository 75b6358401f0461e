"""The browser simulator: a stand-in messaging app at /sim/.

Its "platform" is the sim_message table: what the bot sends lands there (adapter.py),
and the page polls it. Inbound messages and card taps become the same IncomingEvent a
real platform produces and go through the same inbox, dispatcher, outbox and cards.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.bodies import loads_json, read_body
from bot.channels.base import Accept, take
from bot.channels.sim import NAME
from bot.clock import utcnow
from bot.config import Settings
from bot.events import Attachment, EventKind, IncomingEvent, UserRef
from bot.media import Upload, image_type, load, store
from bot.rendering import msg, render
from models.files import DOCX, IMAGE, StoredFile
from models.org import Person
from models.system import SimMessage

log = logging.getLogger(__name__)

HISTORY = 200  # shown on the page
HISTORY_KEPT = 500  # kept per person (older rows are deleted as new ones come)
USER_ID_CHARS = 64  # as Person.id and sim_message.user_id
EVENT_ID_CHARS = 128
FILE_NAME_CHARS = 200  # the end of a longer name (its extension) is kept


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


def _bad(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"ok": False, "error": reason}),
                              content_type="application/json")


def _clean(value: Any, limit: int) -> str | None:
    """A string the database can store (UTF-8, within limit), else None."""
    if not isinstance(value, str) or len(value) > limit:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON "\ud800"
        return None
    return value


def check_user(value: Any) -> str:
    user = _clean(value, USER_ID_CHARS)
    if not user or not user.isprintable():
        raise _bad(msg("sim.bad_user", limit=USER_ID_CHARS))
    return user


def check_event_id(value: Any) -> Any:
    """The page's own event id (a retry sends the same): a short printable string or none."""
    if value is not None and not (_clean(value, EVENT_ID_CHARS) or "\n").isprintable():
        raise _bad(msg("sim.bad_request", reason="event_id"))
    return value


def file_name(raw: str | None) -> str:
    """The sent file's name: percent-decoded, storable, its end (the extension) kept."""
    name = unquote(raw or "").encode("utf-8", "replace").decode()
    return name[-FILE_NAME_CHARS:] or "file"


async def _json_body(request: web.Request, max_chars: int) -> dict[str, Any]:
    """The JSON object of a send/tap; 400 for anything else (never a 500)."""
    raw = await read_body(request, max_chars * 4 + 4096)
    try:
        data = loads_json(raw)
    except ValueError:  # not UTF-8, not JSON, nested too deep, a lone surrogate
        raise _bad(msg("sim.bad_request", reason="JSON")) from None
    if not isinstance(data, dict):
        raise _bad(msg("sim.bad_request", reason="JSON"))
    data["user"] = check_user(data.get("user"))
    check_event_id(data.get("event_id"))
    for key in ("text", "key"):
        if key in data and _clean(data[key], max_chars) is None:
            raise _bad(msg("sim.bad_request", reason=key))
    return data


async def keep_history(user_id: str) -> None:
    """Bounded simulator data: each person's chat keeps its last HISTORY_KEPT messages."""
    cutoff = await SimMessage.filter(user_id=user_id).order_by("-id").offset(
        HISTORY_KEPT).limit(1).values_list("id", flat=True)
    if cutoff:
        await SimMessage.filter(user_id=user_id, id__lte=cutoff[0]).delete()


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
        user = check_user(request.query.get("user", ""))
        return web.json_response(await mailbox(user))

    async def send(request: web.Request) -> web.Response:
        data = await _json_body(request, settings.max_message_chars)
        text = str(data.get("text", ""))
        await SimMessage.create(user_id=data["user"], direction="in",
                                payload={"type": "text", "text": text, "markdown": False})
        await keep_history(data["user"])
        await take(accept, text_event(data["user"], text, data.get("event_id")))
        return web.json_response({"ok": True})

    async def file(request: web.Request) -> web.Response:
        """A file the bot sent this person (the simulator's stand-in for a download)."""
        user = check_user(request.query.get("user", ""))
        raw_id = request.query.get("id", "")
        if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18):
            raise web.HTTPNotFound()
        file_id = int(raw_id)
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
        if request.content_type != "multipart/form-data":
            raise web.HTTPUnsupportedMediaType(text="multipart/form-data only")
        try:
            form = await request.post()
        except (ValueError, AssertionError, LookupError, HttpProcessingError):  # broken multipart
            raise _bad(msg("sim.bad_request", reason="multipart")) from None
        part = form.get("file")
        try:
            if not isinstance(part, web.FileField):
                raise _bad(msg("sim.bad_request", reason="file"))
            user = check_user(form.get("user"))
            event_id = check_event_id(form.get("event_id"))
            data = part.file.read(max_upload + 1)
        finally:
            for value in form.values():  # the multipart parser's temporary files
                if isinstance(value, web.FileField):
                    value.file.close()
        if len(data) > max_upload:
            raise web.HTTPRequestEntityTooLarge(max_upload, len(data))
        # browsers send the name as UTF-8; some clients percent-encode it (RFC 7578 §4.2)
        name = file_name(part.filename)
        file = await keep_upload(settings, name, data)
        await SimMessage.create(user_id=user, direction="in",
                                payload={"type": "file", "name": name, "size": len(data)})
        await keep_history(user)
        await take(accept, file_event(user, file,
                                       event_id if isinstance(event_id, str) else None))
        return web.json_response({"ok": True})

    async def tap(request: web.Request) -> web.Response:
        data = await _json_body(request, settings.max_message_chars)
        await take(accept, tap_event(data["user"], str(data.get("key", "")),
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
