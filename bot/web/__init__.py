"""Read-only pages the bot serves to phones, each reached by a signed link (bot/links.py):
the whole draft (draft_page.py) and the supervisor's board (board.py)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.policy import Policy
from bot.web import board, draft_page


def routes(settings: Settings, policy: Policy) -> list[web.RouteDef]:
    return [*draft_page.routes(settings, policy), *board.routes(settings, policy)]
