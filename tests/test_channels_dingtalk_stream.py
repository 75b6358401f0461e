"""钉钉 Stream mode: the real dingtalk-stream client against a fake gateway in another
thread (and, for SIGTERM, a real `govmedia serve` process against it)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot import demo
from bot.app import create_app
from bot.channels.dingtalk.stream import CARD_TOPIC, ROBOT_TOPIC
from bot.cli import main
from models.review import Draft, ReviewStep
from tests.dingtalk_support import DRAFT, dingtalk_settings, settle
from tests.fakes.dingtalk import APP_KEY, APP_SECRET, ROBOT_CODE, TEMPLATE_ID, FakeDingTalkServer

EXIT_SECONDS = 5


async def send_frame(server: FakeDingTalkServer, frame: dict[str, Any]) -> dict[str, Any]:
    """Push a frame on the live socket and return the client's ACK for it."""
    fake = server.fake
    await server.run(fake.push(frame))
    return await server.run(fake.wait_for(lambda: fake.ack_for(frame)))


async def connected(server: FakeDingTalkServer, count: int) -> None:
    await server.run(server.fake.wait_for(lambda: server.fake.connections >= count))


async def test_stream_flow_acks_and_reconnect(aiohttp_client, server: FakeDingTalkServer,  # type: ignore[no-untyped-def]
                                              tmp_path: Path) -> None:
    fake = server.fake
    settings = dingtalk_settings(tmp_path, fake, dingtalk_mode="stream",
                                 dingtalk_card_callback_url="")
    client: TestClient = await aiohttp_client(create_app(settings))
    await connected(server, 1)
    opened = fake.calls("/v1.0/gateway/connections/open")[0].body
    assert opened["clientId"] == APP_KEY
    assert {s["topic"] for s in opened["subscriptions"]} == {ROBOT_TOPIC, CARD_TOPIC}
    assert (await client.post("/dingtalk/callback", data=b"{}")).status == 404

    frame = fake.frame(ROBOT_TOPIC, fake.robot_message("wangwu", DRAFT))
    ack = await send_frame(server, frame)
    assert ack["code"] == 200 and ack["headers"]["messageId"] == frame["headers"]["messageId"]
    assert json.loads(ack["data"]) == {"response": "OK"}
    await settle(client)
    assert (await Draft.get(id=1)).title == "秋季旅游节开幕"
    assert "已收到稿件 #1" in fake.live_card("wangwu")["params"]["markdown"]  # the receipt
    card = fake.live_card("zhangming")
    assert card["callbackType"] == "STREAM" and "callbackRouteKey" not in card["body"]

    frame = fake.frame(CARD_TOPIC, fake.card_callback(card["outTrackId"], "zhangming", 0))
    ack = await send_frame(server, frame)
    assert ack["code"] == 200 and json.loads(ack["data"]) == {"response": {}}
    await settle(client)
    assert (await ReviewStep.get(draft_id=1, level=2)).decision == "approve"
    assert fake.cards("zhangming")[-1]["params"]["decided"] == "true"
    assert fake.live_card("liufang")

    await server.run(fake.drop())
    await connected(server, 2)
    frame = fake.frame("disconnect", {"reason": "gateway restart"}, kind="SYSTEM")
    await server.run(fake.push(frame))
    await connected(server, 3)
    card = fake.live_card("liufang")
    frame = fake.frame(CARD_TOPIC, fake.card_callback(card["outTrackId"], "liufang", 0))
    assert (await send_frame(server, frame))["code"] == 200
    await settle(client)
    assert "已完成三审三校" in fake.texts("wangwu")[-1]


async def test_bad_frames_get_bad_request_acks(aiohttp_client, server: FakeDingTalkServer,  # type: ignore[no-untyped-def]
                                               tmp_path: Path) -> None:
    fake = server.fake
    settings = dingtalk_settings(tmp_path, fake, dingtalk_mode="stream")
    client: TestClient = await aiohttp_client(create_app(settings))
    await connected(server, 1)
    ack = await send_frame(server, fake.frame(ROBOT_TOPIC, {"msgtype": "text"}))
    assert ack["code"] == 400
    ack = await send_frame(server, fake.frame(CARD_TOPIC, {"outTrackId": "x", "content": "{}"}))
    assert ack["code"] == 400
    frame = fake.frame(CARD_TOPIC, fake.card_callback("unknown", "zhangming", 0))
    assert (await send_frame(server, frame))["code"] == 200
    await settle(client)
    assert "此卡片已失效" in fake.texts("zhangming")[-1]
    assert await Draft.all().count() == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_in_stream_mode_stops_on_sigterm(server: FakeDingTalkServer,
                                                     tmp_path: Path) -> None:
    fake = server.fake
    env = {**os.environ, "GOVMEDIA_DATABASE_URL": f"sqlite://{tmp_path / 'serve.db'}",
           "GOVMEDIA_CHANNEL": "dingtalk", "GOVMEDIA_DINGTALK_APP_KEY": APP_KEY,
           "GOVMEDIA_DINGTALK_APP_SECRET": APP_SECRET, "GOVMEDIA_DINGTALK_ROBOT_CODE": ROBOT_CODE,
           "GOVMEDIA_DINGTALK_MODE": "stream", "GOVMEDIA_DINGTALK_CARD_TEMPLATE_ID": TEMPLATE_ID,
           "GOVMEDIA_DINGTALK_API_BASE": fake.url, "GOVMEDIA_DINGTALK_OAPI_BASE": fake.url,
           "DINGTALK_OPENAPI_ENDPOINT": fake.url, "GOVMEDIA_OUTBOX_POLL_SECONDS": "0.1",
           "GOVMEDIA_AUDIT_KEY": "a" * 32, "GOVMEDIA_DRAFT_JOIN_SECONDS": "0"}
    # a real channel: no demo seeding, so the organisation is loaded as an office would
    for command in (["db", "upgrade"], ["org", "load", str(demo.DEMO_FILE)]):
        assert await asyncio.to_thread(main, command, env) == 0
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", str(_free_port()), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await server.run(fake.wait_for(lambda: fake.connections >= 1, seconds=30))
        frame = fake.frame(ROBOT_TOPIC, fake.robot_message("wangwu", DRAFT))
        assert (await send_frame(server, frame))["code"] == 200
        await server.run(fake.wait_for(lambda: fake.cards("zhangming")))
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(EXIT_SECONDS):
            out, _ = await proc.communicate()
        elapsed = time.monotonic() - started
        code = proc.returncode
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.communicate()
    output = out.decode()
    assert "dingtalk stream: connected" in output
    assert code == 0, output
    assert elapsed < EXIT_SECONDS, output
