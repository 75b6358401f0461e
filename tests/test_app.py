"""End to end through create_app: the simulator's HTTP routes, the dispatcher in a
background task, the outbox sender loop, and the audit CLI on the same database."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.cli import main
from bot.config import Settings
from tests import outbox_support

DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n正文。"


@pytest.fixture
def file_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite://{tmp_path / 'app.db'}", outbox_poll_seconds=0.05)


async def settle(client: TestClient) -> None:
    await outbox_support.settle(client.app)


async def test_simulator_end_to_end(aiohttp_client, file_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(file_settings))
    page = await client.get("/sim/")
    assert page.status == 200 and "模拟器" in await page.text()
    people = await (await client.get("/sim/api/people")).json()
    assert {"wangwu", "zhangming", "liufang", "chenwei", "zhaoqiang"} <= {p["id"] for p in people}

    resp = await client.post("/sim/api/send", json={"user": "wangwu", "text": DRAFT})
    assert resp.status == 200
    await settle(client)
    box = await (await client.get("/sim/api/messages", params={"user": "zhangming"})).json()
    card = box[-1]
    assert card["type"] == "card" and card["buttons"][0]["label"] == "通过"

    await client.post("/sim/api/tap", json={"user": "zhangming", "key": card["buttons"][0]["key"]})
    await settle(client)
    box = await (await client.get("/sim/api/messages", params={"user": "liufang"})).json()
    assert box[-1]["title"] == "待审稿件 #1：秋季旅游节开幕"
    health = await (await client.get("/healthz")).json()
    assert health["status"] == "ok" and health["checks"]["outbox"]["pending"] == 0


async def test_sender_loop_delivers_without_help(aiohttp_client, file_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(file_settings))
    await client.post("/sim/api/send", json={"user": "wangwu", "text": "帮助"})
    deadline = time.monotonic() + outbox_support.SETTLE_SECONDS
    while len(box := await (await client.get("/sim/api/messages",
                                             params={"user": "wangwu"})).json()) < 2:
        assert time.monotonic() < deadline, "the sender loop delivered nothing"
        await asyncio.sleep(0.02)
    assert box[-1]["direction"] == "out" and "投稿" in box[-1]["text"]


async def test_bad_simulator_requests_are_4xx(aiohttp_client, file_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(file_settings))
    assert (await client.post("/sim/api/send", data="not json")).status == 415  # text/plain
    assert (await client.post("/sim/api/send", data="not json",
                              headers={"Content-Type": "application/json"})).status == 400
    assert (await client.post("/sim/api/tap", json={"key": "x"})).status == 400


async def test_audit_cli_detects_tampering(aiohttp_client, file_settings: Settings,  # type: ignore[no-untyped-def]
                                           capsys: pytest.CaptureFixture[str]) -> None:
    client = await aiohttp_client(create_app(file_settings))
    await client.post("/sim/api/send", json={"user": "wangwu", "text": DRAFT})
    await settle(client)
    await client.close()
    env = {"GOVMEDIA_DATABASE_URL": file_settings.database_url}
    assert await asyncio.to_thread(main, ["audit", "verify"], env) == 0
    assert "校验通过" in capsys.readouterr().out
    import sqlite3

    path = file_settings.database_url.removeprefix("sqlite://")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2")
    assert await asyncio.to_thread(main, ["audit", "verify"], env) == 1
    assert "第 2 条" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["audit", "export"], env) == 0
    assert '"seq":1' in capsys.readouterr().out


async def test_sim_without_the_slash_reaches_the_simulator(aiohttp_client,  # type: ignore[no-untyped-def]
                                                           file_settings: Settings) -> None:
    """http://127.0.0.1:8080/sim as people type it (issue 16 point 9)."""
    client = await aiohttp_client(create_app(file_settings))
    resp = await client.get("/sim", allow_redirects=False)
    assert resp.status == 301 and resp.headers["Location"] == "/sim/"
    assert (await client.get("/sim")).status == 200
