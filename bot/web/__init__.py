"""Read-only pages the bot serves to phones, each reached by a signed link (bot/links.py):
the whole draft (draft_page.py), the supervisor's board (board.py), and a file too large for
the platform (file_links.py)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.policy import Policy
from bot.web import board, draft_page, file_links


def routes(settings: Settings, policy: Policy) -> list[web.RouteDef]:
    return [*draft_page.routes(settings, policy), *board.routes(settings, policy),
            *file_links.routes(settings)]
