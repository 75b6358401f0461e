"""Shared pieces of the DingTalk tests: settings pointing at the fake, and a driver that
posts signed callbacks (HTTP mode) or frames (Stream mode) into a real create_app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.config import Settings
from tests import outbox_support
from tests.fakes.dingtalk import (
    APP_KEY,
    APP_SECRET,
    ROBOT_CODE,
    TEMPLATE_ID,
    FakeDingTalk,
    FakeDingTalkServer,
)

DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"
CALLBACK_URL = "https://bot.example.gov.cn/dingtalk/card"


def dingtalk_settings(tmp_path: Path, fake: FakeDingTalk, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite://{tmp_path / 'dingtalk.db'}", "outbox_poll_seconds": 0.05,
        "draft_join_seconds": 0,
        "channel": "dingtalk", "dingtalk_app_key": APP_KEY, "dingtalk_app_secret": APP_SECRET,
        "dingtalk_robot_code": ROBOT_CODE, "dingtalk_mode": "http",
        "dingtalk_card_template_id": TEMPLATE_ID, "dingtalk_api_base": fake.url,
        "dingtalk_oapi_base": fake.url, "dingtalk_card_callback_url": CALLBACK_URL,
    }
    values.update(changes)
    return Settings(**values)


async def settle(client: TestClient) -> None:
    """Let every dispatched event finish and deliver what it queued; the app's own sender
    loop may hold a row while we look, so wait (for the condition) until it lets go."""
    await outbox_support.settle(client.app)


class HttpDriver:
    """Talks to the bot as DingTalk does in HTTP mode: signed JSON POSTs."""

    def __init__(self, client: TestClient, server: FakeDingTalkServer) -> None:
        self.client, self.server, self.fake = client, server, server.fake

    async def post(self, path: str, data: Any, headers: dict[str, str] | None = None) -> int:
        body = data if isinstance(data, (bytes, str)) else json.dumps(data, ensure_ascii=False)
        resp = await self.client.post(path, data=body, headers={
            "Content-Type": "application/json",
            **(self.fake.signed() if headers is None else headers)})
        await settle(self.client)
        return resp.status

    async def say(self, user: str, text: str, **kw: Any) -> int:
        return await self.post("/dingtalk/callback", self.fake.robot_message(user, text, **kw))

    async def tap(self, user: str, out_track_id: str, button: int,
                  reason: str | None = None) -> int:
        return await self.post("/dingtalk/card",
                               self.fake.card_callback(out_track_id, user, button, reason))

    def last_text(self, user: str) -> str:
        texts = self.fake.texts(user)
        return texts[-1] if texts else ""
