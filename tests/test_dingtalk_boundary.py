"""钉钉 HTTP mode at the boundary (issue 13 item 4): one body per (timestamp, sign) pair,
remembered in the database across restarts; sessionWebhook only on the DingTalk host and
never for longer than DingTalk gives one; bad headers and split bodies are no 500."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import create_app
from bot.channels.dingtalk.inbound import MAX_SKEW, WEBHOOK_MAX_LIFE, prune_signatures
from bot.clock import utcnow
from models.dingtalk_state import DingTalkSession, DingTalkSignature
from models.review import Draft, ReviewStep
from tests.dingtalk_support import DRAFT, HttpDriver, dingtalk_settings, settle
from tests.fakes.dingtalk import FakeDingTalk, FakeDingTalkServer


async def test_a_captured_pair_carries_one_body_only(talk: HttpDriver,
                                                     fake: FakeDingTalk) -> None:
    await talk.say("wangwu", DRAFT)
    card = fake.live_card("zhangming")
    captured = fake.signed()
    hello = fake.robot_message("zhangming", "帮助")
    assert await talk.post("/dingtalk/callback", hello, captured) == 200
    assert await talk.post("/dingtalk/callback", hello, captured) == 200  # a platform retry
    # the same pair with any other body, on either route, is refused
    forged = fake.robot_message("zhangming", "通过 #1")
    assert await talk.post("/dingtalk/callback", forged, captured) == 403
    tap = fake.card_callback(card["outTrackId"], "zhangming", 0)
    assert await talk.post("/dingtalk/card", tap, captured) == 403
    assert (await ReviewStep.get(draft_id=1, level=2)).decision is None
    # a fresh pair (what DingTalk sends with every callback) goes through
    assert await talk.tap("zhangming", card["outTrackId"], 0) == 200
    assert (await ReviewStep.get(draft_id=1, level=2)).decision == "approve"


async def test_the_pairs_survive_a_restart(aiohttp_client, server: FakeDingTalkServer,  # type: ignore[no-untyped-def]
                                           tmp_path: Path) -> None:
    fake = server.fake
    settings = dingtalk_settings(tmp_path, fake)
    captured = fake.signed()
    first = HttpDriver(await aiohttp_client(create_app(settings)), server)
    assert await first.post("/dingtalk/callback", fake.robot_message("wangwu", "帮助"),
                            captured) == 200
    await first.client.close()
    again = HttpDriver(await aiohttp_client(create_app(settings)), server)
    assert await again.post("/dingtalk/callback", fake.robot_message("wangwu", DRAFT),
                            captured) == 403
    assert await Draft.all().count() == 0


async def test_pairs_are_forgotten_after_their_validity(talk: HttpDriver,
                                                        fake: FakeDingTalk) -> None:
    assert await talk.say("wangwu", "帮助") == 200
    assert await DingTalkSignature.all().count() == 1
    assert await prune_signatures(utcnow()) == 0
    assert await prune_signatures(utcnow() + MAX_SKEW + timedelta(minutes=10)) == 1


async def test_a_foreign_session_webhook_gets_no_reply(talk: HttpDriver,
                                                       fake: FakeDingTalk) -> None:
    data = fake.robot_message("wangwu", "待办")
    data["sessionWebhook"] = "https://attacker.example/robot/sendBySession?session=x"
    assert await talk.post("/dingtalk/callback", data) == 200
    assert await DingTalkSession.filter(user_id="wangwu").count() == 0
    # the reply went through the proactive API instead
    assert fake.calls("/v1.0/robot/oToMessages/batchSend")
    assert "待办" in talk.last_text("wangwu")


async def test_a_session_webhook_lives_no_longer_than_dingtalk_gives(
        talk: HttpDriver, fake: FakeDingTalk) -> None:
    data = fake.robot_message("wangwu", "帮助")
    data["sessionWebhookExpiredTime"] = int(time.time() * 1000) + 30 * 24 * 3600 * 1000
    assert await talk.post("/dingtalk/callback", data) == 200
    session = await DingTalkSession.get(user_id="wangwu")
    assert session.expires_at <= utcnow() + WEBHOOK_MAX_LIFE


@pytest.mark.parametrize("sign", ["签名", "é" * 44, ""], ids=["cjk", "latin1", "empty"])
async def test_a_non_ascii_sign_is_a_403(talk: HttpDriver, fake: FakeDingTalk,
                                        sign: str) -> None:
    headers = {"timestamp": fake.signed()["timestamp"],
               "sign": sign.encode("utf-8").decode("latin-1")}
    for path in ("/dingtalk/callback", "/dingtalk/card"):
        assert await talk.post(path, fake.robot_message("wangwu", DRAFT), headers) == 403
    assert await Draft.all().count() == 0


async def test_a_body_in_several_reads_is_taken_whole(talk: HttpDriver,
                                                      fake: FakeDingTalk) -> None:
    raw = json.dumps(fake.robot_message("wangwu", DRAFT), ensure_ascii=False).encode()

    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(raw), 40):
            yield raw[i:i + 40]
            await asyncio.sleep(0.01)

    resp = await talk.client.post("/dingtalk/callback", data=pieces(), headers={
        "Content-Type": "application/json", **fake.signed()})
    assert resp.status == 200
    await settle(talk.client)
    assert await Draft.all().count() == 1


async def test_claiming_a_pair_on_every_backend(db: None) -> None:
    from bot.channels.dingtalk.inbound import claim_signature

    ts = str(int(time.time() * 1000))
    assert await claim_signature(ts, "c2lnbg==", "msg:a")
    assert await claim_signature(ts, "c2lnbg==", "msg:a")  # the same event: a retry
    assert not await claim_signature(ts, "c2lnbg==", "msg:b")
    assert await claim_signature(ts, "b3RoZXI=", "msg:b")
    assert await prune_signatures(utcnow() + MAX_SKEW + timedelta(minutes=10)) == 2
