"""/board/?t=…: the supervisor's board, read-only and live (it reloads itself), for the
person its signed link was issued to (`看板` in chat); /board/font: the Chinese font it
falls back to in a browser that has none (served by the bot, never fetched from outside).
No link, no data: a missing, forged or expired link shows why and what to send."""

from __future__ import annotations

import logging

from aiohttp import web

from bot import links
from bot.clock import utcnow
from bot.config import Settings
from bot.policy import Policy
from bot.rendering import render_html
from bot.reports.fonts import sans_path
from bot.web.pages import HEADERS, grant, page, refused
from handlers.reports.board import (
    BOARD_PATH,
    BOARD_TARGET,
    FRESHNESS,
    load_board,
    may_view,
    state_label,
)

log = logging.getLogger(__name__)
REFRESH_SECONDS = 60
FONT_PATH = "/board/font"
# the board's own policy: the page, its inline styles, and the font from this server only
BOARD_HEADERS = {**HEADERS, "Content-Security-Policy":
                 "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; "
                 "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"}


def routes(settings: Settings, policy: Policy) -> list[web.RouteDef]:

    async def show(request: web.Request) -> web.Response:
        try:
            found = await grant(settings, request, BOARD_TARGET)
        except links.LinkError as exc:
            return refused(exc.reason, board=True)
        person = await may_view(found.person)
        if person is None:
            log.warning("board: %s is no longer a supervisor", found.person)
            return refused("forbidden", board=True)
        board = await load_board(person, policy, settings.tz, utcnow(), found.expires_at)
        html = render_html("web/board.html.j2", b=board, states=FRESHNESS,
                           labels={s: state_label(s) for s in FRESHNESS},
                           refresh=REFRESH_SECONDS, font_url=FONT_PATH)
        response = page(html)
        response.headers.update(BOARD_HEADERS)
        return response

    async def font(request: web.Request) -> web.FileResponse:
        return web.FileResponse(sans_path(), headers={
            "Content-Type": "font/otf", "Cache-Control": "public, max-age=604800, immutable"})

    return [web.get(BOARD_PATH, show), web.get(BOARD_PATH.rstrip("/"), show),
            web.get(FONT_PATH, font)]
