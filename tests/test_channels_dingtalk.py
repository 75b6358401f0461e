"""钉钉 HTTP mode: the whole review flow through signed callbacks against a fake DingTalk
API server on loopback; bad input; tokens, retries, dedupe, fallback cards, custom robot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import create_app
from bot.channels.dingtalk.inbound import sign
from bot.clock import utcnow
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.rendering import msg
from models.dingtalk_state import DingTalkCard
from models.review import Draft, DraftState, ReviewStep
from models.system import InboundEvent, Outbox
from tests.dingtalk_support import CALLBACK_URL, DRAFT, HttpDriver, dingtalk_settings, settle
from tests.fakes.dingtalk import APP_SECRET, TEMPLATE_ID, FakeDingTalk, FakeDingTalkServer


async def start(aiohttp_client, server: FakeDingTalkServer, settings: Settings) -> HttpDriver:  # type: ignore[no-untyped-def]
    return HttpDriver(await aiohttp_client(create_app(settings)), server)


def test_sign_matches_the_reference_value() -> None:
    assert sign("test_app_secret", "1690362102194") == \
        "ivc/TnLE0cJGaMF8jKAlKH4Nb+cx6sXvBySm4l2poXE="


async def test_review_flow_through_signed_callbacks(talk: HttpDriver,
                                                    fake: FakeDingTalk) -> None:
    """rule R-REV-1 end to end on DingTalk: message → card → tap → card → tap → publish."""
    register = fake.calls("/v1.0/card/callbacks/register")
    assert [r.body["callbackUrl"] for r in register] == [CALLBACK_URL]
    assert await talk.say("wangwu", DRAFT) == 200
    # the receipt is an interactive card (issue 20): 催办 and 撤回 in the template's slots
    receipt = fake.live_card("wangwu")
    assert "已收到稿件 #1" in receipt["params"]["markdown"]
    assert (receipt["params"]["btn0_label"], receipt["params"]["btn1_label"]) == ("催办", "撤回")

    card = fake.live_card("zhangming")
    assert card["body"]["cardTemplateId"] == TEMPLATE_ID
    assert card["callbackType"] == "HTTP" and card["body"]["callbackRouteKey"]
    assert card["params"]["title"] == "待审稿件 #1：秋季旅游节开幕"
    assert card["params"]["btn0_label"] == "通过"
    assert "是否涉及国家秘密" in card["params"]["markdown"]
    # 转交 has no slot in the two-button template: its command is on the card
    assert "也可直接回复" in card["params"]["markdown"]
    assert "转交 #1 人员 理由" in card["params"]["markdown"]
    assert all(isinstance(v, str) for v in card["params"].values())
    assert await talk.tap("zhangming", card["outTrackId"], 0) == 200

    decided = fake.cards("zhangming")[-1]
    assert decided["params"]["decided"] == "true"
    assert decided["params"]["status"].startswith("已通过 · 张明")
    updates = fake.calls("/v1.0/card/instances")
    assert [u.method for u in updates] == ["PUT"]
    card = fake.live_card("liufang")
    assert await talk.tap("liufang", card["outTrackId"], 0) == 200
    assert "已完成三审三校" in talk.last_text("wangwu")
    assert fake.cards("wangwu")[-1]["params"]["status"].startswith("已通过")  # the receipt
    assert await talk.say("wangwu", "已发布 #1 https://mp.weixin.qq.com/s/abc") == 200
    assert "已登记" in talk.last_text("wangwu")
    assert fake.calls("/session/wangwu"), "the reply used the message's sessionWebhook"
    assert (await Draft.get(id=1)).state == DraftState.PUBLISHED
    assert len(fake.calls("/v1.0/oauth2/accessToken")) == 1, "the token is cached"
    assert await Outbox.filter(status="pending").count() == 0


async def test_withdraw_from_the_receipt_card_with_a_typed_reason(
        talk: HttpDriver, fake: FakeDingTalk) -> None:
    """issue 20 on DingTalk: 撤回 on the receipt (the template's second slot) with the
    reason typed into the card; the receipt and the review card go grey; a stale 催办
    only answers."""
    await talk.say("wangwu", DRAFT)
    receipt = fake.live_card("wangwu")
    assert await talk.tap("wangwu", receipt["outTrackId"], 1, reason="数据要更新") == 200
    assert (await Draft.get(id=1)).state == DraftState.WITHDRAWN
    assert fake.cards("wangwu")[-1]["params"]["status"].startswith("已撤回 · 起草人 王五")
    assert "数据要更新" in fake.cards("zhangming")[-1]["params"]["status"]
    assert "已撤回" in talk.last_text("wangwu")
    assert await talk.tap("wangwu", receipt["outTrackId"], 0) == 200
    assert "不在审核中" in talk.last_text("wangwu")


async def test_reject_tap_asks_for_the_typed_reason(talk: HttpDriver, fake: FakeDingTalk) -> None:
    await talk.say("wangwu", DRAFT)
    card = fake.live_card("zhangming")
    await talk.tap("zhangming", card["outTrackId"], 1)
    assert "退回 #1 理由" in talk.last_text("zhangming")
    await talk.say("zhangming", "退回 #1 第二段日期有误")
    assert fake.cards("zhangming")[-1]["params"]["status"].startswith("已退回")
    assert "第二段日期有误" in talk.last_text("wangwu")


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ("msg", {"timestamp": "1700000000000", "sign": "forged"}, 403),
        ("msg", "stale", 403),
        ("msg", {}, 403),
        (b"not json", None, 400),
        (b"[1, 2]", None, 400),
        (json.dumps({"msgtype": "text", "text": {"content": "帮助"}}), None, 400),
        (b"x" * (70 * 1024), None, 413),
    ],
    ids=["forged", "stale", "missing", "not-json", "not-object", "no-msgid", "oversized"],
)
async def test_bad_callbacks_are_4xx_and_change_nothing(
        talk: HttpDriver, fake: FakeDingTalk, body: object, headers: object, status: int) -> None:
    if body == "msg":
        body = fake.robot_message("wangwu", DRAFT)
    if headers == "stale":
        headers = fake.signed(skew_ms=-2 * 3600 * 1000)
    for path in ("/dingtalk/callback", "/dingtalk/card"):
        assert await talk.post(path, body, headers) == status  # type: ignore[arg-type]
    assert await InboundEvent.all().count() == 0
    assert await Draft.all().count() == 0
    assert not fake.texts("wangwu")


async def test_bad_card_taps_answer_and_change_nothing(talk: HttpDriver,
                                                       fake: FakeDingTalk) -> None:
    await talk.say("wangwu", DRAFT)
    card = fake.live_card("zhangming")
    assert await talk.tap("zhangming", "no-such-card", 0) == 200
    assert "此卡片已失效" in talk.last_text("zhangming")
    assert await talk.tap("zhangming", card["outTrackId"], 7) == 200
    assert "此卡片已失效" in talk.last_text("zhangming")
    assert await talk.tap("liufang", card["outTrackId"], 0) == 200  # the wrong person
    assert "不是稿件 #1 当前环节的审核人" in talk.last_text("liufang")
    assert (await ReviewStep.get(draft_id=1, level=2)).decision is None

    await talk.tap("zhangming", card["outTrackId"], 0)
    steps = await ReviewStep.filter(draft_id=1).count()
    assert await talk.tap("zhangming", card["outTrackId"], 1) == 200  # a decided card
    assert "此卡片已失效" in talk.last_text("zhangming")
    assert await ReviewStep.filter(draft_id=1).count() == steps


async def test_platform_retries_are_no_ops(talk: HttpDriver, fake: FakeDingTalk) -> None:
    data = fake.robot_message("wangwu", DRAFT, msg_id="msgSAME")
    assert await talk.post("/dingtalk/callback", data) == 200
    assert await talk.post("/dingtalk/callback", data) == 200
    assert await Draft.all().count() == 1
    tap = fake.card_callback(fake.live_card("zhangming")["outTrackId"], "zhangming", 0)
    await talk.post("/dingtalk/card", tap)
    replies = len(fake.texts("zhangming"))
    await talk.post("/dingtalk/card", tap)
    assert len(fake.texts("zhangming")) == replies
    assert len(fake.cards("liufang")) == 1


async def test_unknown_sender_gets_a_polite_reply(talk: HttpDriver, fake: FakeDingTalk) -> None:
    assert await talk.say("stranger", DRAFT) == 200
    # the core's answer, the same on every channel
    assert talk.last_text("stranger") == msg("common.unknown_sender", user_id="stranger")
    assert fake.calls("/session/stranger")
    assert await Draft.all().count() == 0


async def test_group_messages_are_answered_privately(talk: HttpDriver, fake: FakeDingTalk) -> None:
    assert await talk.say("zhangming", "帮助", group=True) == 200
    assert not fake.calls("/session/group")
    assert "投稿" in talk.last_text("zhangming")
    assert fake.calls("/v1.0/robot/oToMessages/batchSend")


async def test_token_reset_on_401_and_retries_through_the_outbox(
        talk: HttpDriver, fake: FakeDingTalk) -> None:
    await talk.say("wangwu", DRAFT)
    fake.expire_tokens()
    fake.fail_next("/v1.0/robot/oToMessages/batchSend", 503, {"code": "ServiceUnavailable"})
    await talk.say("liufang", "帮助")  # liufang has a session: webhook, no token needed
    await talk.say("zhangming", "待办", group=True)  # no session: batchSend
    assert len(fake.calls("/v1.0/oauth2/accessToken")) == 2, "401 reset the token once"
    row = await Outbox.get(channel="dingtalk", user_id="zhangming", status="pending")
    assert row.attempts == 1 and "503" in row.last_error
    await Outbox.filter(id=row.id).update(next_attempt_at=utcnow())
    await settle(talk.client)  # whichever sender takes it: wait for the row, not a time
    assert (await Outbox.get(id=row.id)).status == "sent"


async def test_refused_webhook_falls_back_to_batch_send(talk: HttpDriver,
                                                       fake: FakeDingTalk) -> None:
    fake.fail_next("/session/wangwu", 200, {"errcode": 300001, "errmsg": "session expired"})
    await talk.say("wangwu", "帮助")
    row = await Outbox.get(user_id="wangwu", status="pending")
    await Outbox.filter(id=row.id).update(next_attempt_at=utcnow())
    await settle(talk.client)  # whichever sender takes it: wait for the row, not a time
    assert (await Outbox.get(id=row.id)).status == "sent"
    assert "投稿" in talk.last_text("wangwu")
    assert fake.calls("/v1.0/robot/oToMessages/batchSend")


async def test_non_retryable_error_gives_up(talk: HttpDriver, fake: FakeDingTalk) -> None:
    fake.fail_next("/v1.0/robot/oToMessages/batchSend", 400,
                   {"code": "invalidParameter", "message": "robotCode"})
    await talk.say("zhangming", "帮助", group=True)
    row = await Outbox.get(user_id="zhangming")
    assert row.status == "failed" and "invalidParameter" in row.last_error


async def test_without_a_template_cards_are_markdown_with_commands(
        aiohttp_client, server: FakeDingTalkServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = server.fake
    talk = await start(aiohttp_client, server, dingtalk_settings(
        tmp_path, fake, dingtalk_card_template_id="", dingtalk_card_callback_url=""))
    await talk.say("wangwu", DRAFT)
    assert not fake.calls("/v1.0/card/instances/createAndDeliver")
    assert not fake.calls("/v1.0/card/callbacks/register")
    sent = fake.calls("/v1.0/robot/oToMessages/batchSend")[-1].body
    assert sent["msgKey"] == "sampleMarkdown" and sent["userIds"] == ["zhangming"]
    text = json.loads(sent["msgParam"])["text"]
    assert "通过 #1" in text and "退回 #1 理由" in text and "秋季旅游节开幕" in text
    assert "转交 #1 人员 理由" in text
    receipt = talk.last_text("wangwu")  # the receipt card as markdown, its commands too
    assert "已收到稿件 #1" in receipt and "- 催办 #1" in receipt and "- 撤回 #1" in receipt
    await talk.say("zhangming", "通过 #1")
    assert "已通过稿件 #1" in talk.last_text("zhangming")
    assert "通过 #1" in talk.fake.texts("liufang")[-1]
    assert await DingTalkCard.all().count() == 0


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"GOVMEDIA_DINGTALK_APP_KEY": "k"}, "dingtalk_app_secret"),
        ({"GOVMEDIA_DINGTALK_APP_KEY": "k", "GOVMEDIA_DINGTALK_APP_SECRET": "s"},
         "dingtalk_robot_code"),
        ({"GOVMEDIA_DINGTALK_APP_KEY": "k", "GOVMEDIA_DINGTALK_APP_SECRET": "s",
          "GOVMEDIA_DINGTALK_ROBOT_CODE": "r", "GOVMEDIA_DINGTALK_MODE": "webhook"},
         "dingtalk_mode"),
        ({"GOVMEDIA_DINGTALK_APP_KEY": "k", "GOVMEDIA_DINGTALK_APP_SECRET": "s",
          "GOVMEDIA_DINGTALK_ROBOT_CODE": "r", "GOVMEDIA_DINGTALK_MODE": "http",
          "GOVMEDIA_DINGTALK_CARD_TEMPLATE_ID": "t"}, "dingtalk_card_callback_url"),
    ],
)
def test_half_configured_channel_names_the_missing_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(None, env)
    assert key in str(err.value) and "\n" not in str(err.value)


def test_configured_channel_loads() -> None:
    s = load_settings(None, {"GOVMEDIA_DINGTALK_APP_KEY": "k", "GOVMEDIA_DINGTALK_APP_SECRET":
                             APP_SECRET, "GOVMEDIA_DINGTALK_ROBOT_CODE": "r"})
    assert s.dingtalk_enabled and s.dingtalk_mode == "stream"
    assert s.dingtalk_api_base == "https://api.dingtalk.com"
    assert not load_settings(None, {}).dingtalk_enabled


def test_shipped_card_template_matches_the_variables_the_bot_fills() -> None:
    from bot.channels.dingtalk.cards import TEMPLATE_BUTTON_SLOTS, card_params
    from bot.events import Button, OutgoingCard

    spec = json.loads((Path(__file__).parent.parent / "deploy" / "dingtalk" /
                       "approval_card.json").read_text(encoding="utf-8"))
    card = OutgoingCard("t", "b", "review-1-2-1", buttons=(Button("approve:1:2:1", "通过"),))
    assert {v["name"] for v in spec["variables"]} == set(card_params(card))
    assert [b["params"]["button"] for b in spec["buttons"]] == \
        [str(i) for i in range(TEMPLATE_BUTTON_SLOTS)]
