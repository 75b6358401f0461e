"""The DingTalk fixtures every DingTalk test module shares (registered in conftest.py):
the fake DingTalk on loopback, and the bot in HTTP mode in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import create_app
from tests.dingtalk_support import HttpDriver, dingtalk_settings
from tests.fakes.dingtalk import FakeDingTalk, FakeDingTalkServer


@pytest.fixture
def server() -> Iterator[FakeDingTalkServer]:
    server = FakeDingTalkServer()
    with server:
        yield server


@pytest.fixture
def fake(server: FakeDingTalkServer) -> FakeDingTalk:
    return server.fake


@pytest.fixture
async def talk(aiohttp_client, server: FakeDingTalkServer, tmp_path: Path  # type: ignore[no-untyped-def]
               ) -> HttpDriver:
    return HttpDriver(await aiohttp_client(create_app(dingtalk_settings(tmp_path, server.fake))),
                      server)
