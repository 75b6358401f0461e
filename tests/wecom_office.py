"""Fixtures for the WeCom tests: the app wired to a fake WeCom server on loopback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.clock import utcnow
from bot.config import Settings
from models.system import Outbox
from tests import outbox_support
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, FakeWeCom, WeComSender

DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n正文第一段。"


def wecom_settings(api_base: str) -> Settings:
    return Settings(database_url="sqlite://:memory:", outbox_poll_seconds=60,
                    draft_join_seconds=0,
                    sim_enabled=False, channel="wecom", wecom_corp_id=CORP_ID,
                    wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET, wecom_token=TOKEN,
                    wecom_aes_key=AES_KEY, wecom_api_base=api_base)


@dataclass
class Office:
    """The bot behind /wecom/callback, and the fake platform it talks to."""

    client: TestClient
    fake: FakeWeCom
    wecom: WeComSender

    async def settle(self) -> None:
        """Finish background work and deliver everything due.

        The app's own sender loop may hold a row while we look, so wait for its lease.
        """
        await outbox_support.settle(self.client.app)

    async def retry_now(self) -> None:
        """Make waiting outbox rows due (instead of sleeping through the backoff)."""
        await Outbox.filter(status="pending").update(next_attempt_at=utcnow())
        await self.settle()

    async def post(self, xml: str) -> Any:
        resp = await self.wecom.post(xml)
        assert resp.status == 200 and await resp.read() == b""
        await self.settle()
        return resp

    async def say(self, user: str, text: str, msg_id: int | None = None) -> None:
        await self.post(self.wecom.text_xml(user, text, msg_id))

    def live_card(self, user: str) -> dict[str, Any]:
        cards = self.fake.cards(user)
        assert cards, f"{user} got no card"
        return cards[-1]

    async def click(self, user: str, card: dict[str, Any], label: str,
                    code: str | None = None) -> str:
        """Tap a button of a card as WeCom reports it; returns the click's response_code."""
        key = next(b["key"] for b in card["button_list"] if b["text"] == label)
        code = code or self.fake.issue_code(card["task_id"])
        await self.post(self.wecom.click_xml(user, card["task_id"], key, code))
        return code


@pytest.fixture
async def wecom_fake(aiohttp_server) -> FakeWeCom:  # type: ignore[no-untyped-def]
    fake = FakeWeCom()
    server = await aiohttp_server(fake.app())
    fake.base = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def office(aiohttp_client, wecom_fake: FakeWeCom) -> Office:  # type: ignore[no-untyped-def]
    """The app with WeCom as its only channel, on an in-memory database."""
    client = await aiohttp_client(create_app(wecom_settings(wecom_fake.base)))
    return Office(client, wecom_fake, WeComSender(client))
