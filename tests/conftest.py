"""Shared fixtures: an in-memory database with the demo organisation, and a harness
that talks to the bot through the simulator channel exactly as the web page does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import demo
from bot.app import media_fetcher
from bot.channels.sim import inbound as sim
from bot.channels.sim.adapter import SimChannel
from bot.config import Settings
from bot.db import close_db
from bot.dispatcher import Dispatcher
from bot.outbox import Sender
from bot.policy import load_policy
from handlers import ROUTERS
from tests import databases
from tests.wecom_office import office, wecom_fake  # noqa: F401  (WeCom channel fixtures)

pytest_plugins = ["tests.dingtalk_fixtures"]  # server, fake, talk


class Harness:
    """Drives the router through the simulator channel; every call delivers the outbox."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        channel = SimChannel(settings)
        self.sender = Sender({sim.NAME: channel}, max_attempts=3, poll_seconds=0.05)
        self.dispatcher = Dispatcher(settings, load_policy(settings.policy),
                                     fetch_media=media_fetcher({sim.NAME: channel}, settings))
        self.dispatcher.include_routers(*ROUTERS)

    async def say(self, user: str, text: str, event_id: str | None = None) -> str:
        """Send a chat message; return the bot's last text reply to this user."""
        before = await self._last_id(user)
        await self.dispatcher.feed(sim.text_event(user, text, event_id))
        await self.sender.flush()
        return await self.reply_after(user, before)

    async def upload(self, user: str, name: str, data: bytes) -> str:
        """Send a file (a .docx or a picture) as the simulator page does; the last reply."""
        before = await self._last_id(user)
        file = await sim.keep_upload(self.settings, name, data)
        await self.dispatcher.feed(sim.file_event(user, file))
        await self.sender.flush()
        return await self.reply_after(user, before)

    async def tap(self, user: str, key: str, event_id: str | None = None) -> str:
        before = await self._last_id(user)
        await self.dispatcher.feed(sim.tap_event(user, key, event_id))
        await self.sender.flush()
        return await self.reply_after(user, before)

    async def inbox(self, user: str) -> list[dict[str, Any]]:
        return [m for m in await sim.mailbox(user) if m["direction"] == "out"]

    async def cards(self, user: str) -> list[dict[str, Any]]:
        return [m for m in await self.inbox(user) if m["type"] == "card"]

    async def live_card(self, user: str) -> dict[str, Any]:
        live = [c for c in await self.cards(user) if c["buttons"]]
        assert live, f"{user} has no live card"
        return live[-1]

    async def texts(self, user: str) -> list[str]:
        return [m["text"] for m in await self.inbox(user) if m["type"] == "text"]

    async def replies(self, user: str) -> list[str]:
        """Every message to this user as they read it: texts, and cards as card_text."""
        return [m["text"] if m["type"] == "text" else card_text(m)
                for m in await self.inbox(user) if m["type"] in ("text", "card")]

    async def _last_id(self, user: str) -> int:
        box = await sim.mailbox(user)
        return box[-1]["id"] if box else 0

    async def reply_after(self, user: str, after: int) -> str:
        """The last text after `after`; with none, the last card as the person reads it
        (the author's receipt is a card, issue 20)."""
        new = [m for m in await self.inbox(user) if m["id"] > after]
        texts = [m["text"] for m in new if m["type"] == "text"]
        cards = [card_text(m) for m in new if m["type"] == "card"]
        return texts[-1] if texts else cards[-1] if cards else ""

    @staticmethod
    def key(card: dict[str, Any], label: str) -> str:
        return next(b["key"] for b in card["buttons"] if b["label"] == label)


def card_text(card: dict[str, Any]) -> str:
    """A card's title, fields, body and status, one per line."""
    fields = [f"{k}：{v}" for k, v in card.get("fields", [])]
    return "\n".join(p for p in (card["title"], *fields, card["body_md"], card.get("status", ""))
                     if p)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    databases.drop_all()


@pytest.fixture(params=databases.backends())
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that touches the database runs once per available backend."""
    return str(request.param)


@pytest.fixture
def settings(backend: str) -> Settings:
    return Settings(database_url=databases.URLS[backend], outbox_poll_seconds=0.05)


@pytest.fixture
async def db(backend: str) -> AsyncIterator[None]:
    await databases.open_clean(backend)
    await demo.seed_if_empty()
    yield
    await close_db()


@pytest.fixture
async def bot(db: None, settings: Settings) -> Harness:
    return Harness(settings)
