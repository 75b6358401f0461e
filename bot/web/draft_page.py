"""/drafts/{id}?t=…: the whole draft as written, read-only, for the people who may see it
(issue 12, R-REV-1); /drafts/{id}/files/{file}?t=…: its pictures and source .docx."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from bot import links
from bot.config import Settings
from bot.media import load
from bot.policy import Policy
from bot.rendering import render_html
from bot.web.pages import HEADERS, grant, page, refused
from handlers.review.content import draft_target
from handlers.review.page import draft_view, may_open, picture_file

log = logging.getLogger(__name__)


def _draft_id(request: web.Request) -> int:
    try:
        return int(request.match_info["draft_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


def routes(settings: Settings, policy: Policy) -> list[web.RouteDef]:

    async def show(request: web.Request) -> web.Response:
        draft_id = _draft_id(request)
        try:
            found = await grant(settings, request, draft_target(draft_id))
        except links.LinkError as exc:
            return refused(exc.reason, id=draft_id)
        draft = await may_open(found.person, draft_id)
        if draft is None:
            log.warning("draft page: %s may not see draft %s", found.person, draft_id)
            return refused("forbidden", id=draft_id)
        view = await draft_view(draft, policy, settings.tz, found.expires_at)
        token = request.query["t"]
        return page(render_html("web/draft.html.j2", v=view, token=quote(token, safe="")))

    async def file(request: web.Request) -> web.StreamResponse:
        draft_id = _draft_id(request)
        try:
            found = await grant(settings, request, draft_target(draft_id))
            file_id = int(request.match_info["file_id"])
        except (links.LinkError, ValueError):
            raise web.HTTPNotFound() from None
        draft = await may_open(found.person, draft_id)
        attached = await picture_file(draft, file_id) if draft else None
        if attached is None:
            raise web.HTTPNotFound()
        stored = attached.file
        headers = dict(HEADERS)
        if not stored.content_type.startswith("image/"):
            name = quote(stored.name or f"draft-{draft_id}.docx")
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return web.Response(body=await load(settings, stored), content_type=stored.content_type,
                            headers=headers)

    return [web.get("/drafts/{draft_id}", show),
            web.get("/drafts/{draft_id}/files/{file_id}", file)]
