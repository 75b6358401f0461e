"""A file the platform will not carry (over its size limit) as a signed, short-lived link.

`/files/{id}?t=…` serves a stored file (a review record, a report) to whoever holds a link
signed for exactly that file (target "file:<id>"), until it expires (link_ttl_hours). The
channel that could not upload the file sends the link instead, so nothing is lost.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bot import links
from bot.clock import utcnow
from bot.config import Settings
from bot.events import OutgoingFile, OutgoingText
from bot.media import load
from bot.rendering import msg
from bot.web.pages import HEADERS, grant
from models.files import StoredFile


def target(file_id: int) -> str:
    return f"file:{file_id}"


async def link_text(settings: Settings, address: str, file: OutgoingFile) -> OutgoingText:
    """The message that carries the file as a link, for the person at `address`."""
    expires = links.expiry(settings, utcnow())
    token = links.sign(await links.secret_for(settings), address, target(file.file_id), expires)
    url = links.url(settings, f"/files/{file.file_id}", token)
    when = expires.astimezone(settings.tz).strftime("%m月%d日 %H:%M")
    return OutgoingText(msg("files.as_link", name=file.name, size=max(1, file.size // 1024),
                            url=url, expires=when))


def routes(settings: Settings) -> list[web.RouteDef]:

    async def download(request: web.Request) -> web.Response:
        try:
            file_id = int(request.match_info["file_id"])
            await grant(settings, request, target(file_id))
        except (links.LinkError, ValueError):
            raise web.HTTPNotFound() from None
        stored = await StoredFile.get_or_none(id=file_id)
        if stored is None:
            raise web.HTTPNotFound()
        headers = dict(HEADERS)
        headers["Content-Disposition"] = \
            f"attachment; filename*=UTF-8''{quote(stored.name or f'file-{file_id}')}"
        return web.Response(body=await load(settings, stored), content_type=stored.content_type,
                            headers=headers)

    return [web.get("/files/{file_id}", download)]
