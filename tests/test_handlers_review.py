"""The three-level review flow through the router and the simulator channel (R-REV-1..5)."""

from __future__ import annotations

import asyncio

import pytest

from handlers.review import commands
from models.org import Account
from models.review import Draft, DraftState, ReviewStep
from models.system import AuditEvent
from tests.conftest import Harness

DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"


async def approve_live(bot: Harness, user: str) -> None:
    card = await bot.live_card(user)
    assert await bot.tap(user, bot.key(card, "通过")) == ""


async def test_submit_review_approve_publish(bot: Harness) -> None:
    """rule R-REV-1: author (一审) → reviewer (二审) → approver (三审) → publish."""
    reply = await bot.say("wangwu", DRAFT)
    assert "#1" in reply and "张明" in reply
    card = await bot.live_card("zhangming")
    assert card["title"] == "待审稿件 #1：秋季旅游节开幕"
    assert ["审核环节", "二审二校·科室负责人"] in card["fields"]
    assert "是否涉及国家秘密" in card["body_md"]  # rule R-REV-6 checklist on the card
    await approve_live(bot, "zhangming")

    decided = (await bot.cards("zhangming"))[-1]
    assert decided["buttons"] == [] and decided["status"].startswith("已通过 · 张明")
    card = await bot.live_card("liufang")
    assert ["审核环节", "三审三校·分管负责人"] in card["fields"]
    assert "二审二校 · 张明（科室负责人）· 通过" in card["body_md"]
    await approve_live(bot, "liufang")

    assert "已完成三审三校" in (await bot.texts("wangwu"))[-1]
    draft = await Draft.get(id=1)
    assert draft.state == DraftState.APPROVED
    reply = await bot.say("wangwu", "已发布 #1 https://mp.weixin.qq.com/s/abc")
    assert "已登记" in reply
    draft = await Draft.get(id=1)
    account = await Account.get(name="黔江文旅")
    assert draft.state == DraftState.PUBLISHED
    assert account.last_update_at == draft.published_at is not None


async def test_final_approval_tells_author_and_admins(bot: Harness) -> None:
    """lisi writes for 清新黔江 (admin lisi); the 黔江文旅 admin is wangwu: admins get told."""
    await bot.say("lisi", "投稿 清新黔江\n非遗展演\n土家摆手舞展演视频。")
    await approve_live(bot, "zhangming")
    await approve_live(bot, "liufang")
    assert "已完成三审三校" in (await bot.texts("lisi"))[-1]
    assert not any("已完成三审三校" in t for t in await bot.texts("wangwu"))
    await bot.say("wangwu", DRAFT)
    await approve_live(bot, "zhangming")
    await approve_live(bot, "liufang")
    assert "#2" in (await bot.texts("wangwu"))[-1]


async def test_text_commands_work_like_taps(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    assert "已通过稿件 #1" in await bot.say("zhangming", "通过 #1 同意")
    assert "已通过稿件 #1" in await bot.say("liufang", "通过＃1")
    assert (await Draft.get(id=1)).state == DraftState.APPROVED
    step = await ReviewStep.get(draft_id=1, level=2)
    assert step.comment == "同意"
    cards = await bot.cards("zhangming")
    assert cards[-1]["buttons"] == [] and "意见：同意" in cards[-1]["status"]


async def test_a_star_for_a_comment_is_kept_as_written(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tortoise writes a "*" into the SQL, not as a parameter: the first decision of a new
    # process (the gate's statement not planned yet) must still be taken
    monkeypatch.setattr(commands._DECIDE, "_plans", {})
    await bot.say("wangwu", DRAFT)
    assert "已通过稿件 #1" in await bot.say("zhangming", "通过 #1 *")
    assert (await ReviewStep.get(draft_id=1, level=2)).comment == "*"
    assert "已通过稿件 #1" in await bot.say("liufang", "通过 #1 同意")
    assert (await Draft.get(id=1)).state == DraftState.APPROVED


async def test_a_number_beyond_any_row_is_no_such_row(bot: Harness) -> None:
    # ids are 32-bit on PostgreSQL and MySQL: a larger number was a database error (500)
    huge = 3_000_000_000
    assert f"没有找到稿件 #{huge}" in await bot.say("zhangming", f"通过 #{huge}")
    assert f"没有找到备案 #{huge}" in await bot.say("zhaoqiang", f"同意备案 #{huge}")
    assert f"没有编号为 {huge} 的转载任务" in await bot.say("wangwu", f"转载进度 {huge}")
    assert not await AuditEvent.filter(action__startswith="review.").exists()


async def test_reject_revise_approve(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    reply = await bot.say("zhangming", "退回 #1 第二段日期有误")
    assert "已退回稿件 #1" in reply
    told = (await bot.texts("wangwu"))[-1]
    assert "张明 退回" in told and "第二段日期有误" in told and "修改 #1" in told
    old_card = (await bot.cards("zhangming"))[-1]
    assert old_card["buttons"] == [] and "理由：第二段日期有误" in old_card["status"]
    assert (await Draft.get(id=1)).state == DraftState.RETURNED

    reply = await bot.say("wangwu", "修改 #1\n秋季旅游节开幕（修订）\n10月2日，旅游节开幕。")
    assert "第 2 版" in reply
    assert "此卡片已失效" in await bot.tap("zhangming", "approve:1:2:1")
    card = await bot.live_card("zhangming")
    assert ["版本", "v2"] in card["fields"] and "（修订）" in card["title"]
    await approve_live(bot, "zhangming")
    await approve_live(bot, "liufang")
    draft = await Draft.get(id=1)
    assert (draft.state, draft.version, draft.title) == (
        DraftState.APPROVED, 2, "秋季旅游节开幕（修订）")


async def test_reject_tap_asks_for_reason_and_changes_nothing(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    card = await bot.live_card("zhangming")
    await bot.tap("zhangming", bot.key(card, "退回"))
    asked = await bot.live_card("zhangming")  # the reason card: common reasons, or type one
    assert asked["title"] == "退回稿件 #1：请选择理由" and "退回 #1 理由" in asked["body_md"]
    assert [b["label"] for b in asked["buttons"]][0] == "事实或数据需核实"
    assert (await Draft.get(id=1)).state == DraftState.REVIEWING
    assert "退回需要写明理由" in await bot.say("zhangming", "退回 #1")


async def test_a_common_reason_is_one_more_tap(bot: Harness) -> None:
    """Issue 16 point 9: the reason asked in the card itself; the card then goes grey."""
    await bot.say("wangwu", DRAFT)
    card = await bot.live_card("zhangming")
    await bot.tap("zhangming", bot.key(card, "退回"))
    asked = await bot.live_card("zhangming")
    await bot.tap("zhangming", bot.key(asked, "文字或标点有误"))
    draft = await Draft.get(id=1)
    assert draft.state == DraftState.RETURNED
    step = await ReviewStep.get(draft_id=1, level=2)
    assert step.comment == "文字或标点有误"
    assert "文字或标点有误" in (await bot.texts("wangwu"))[-1]
    cards = {c["card_ref"]: c for c in await bot.cards("zhangming")}
    assert not cards[asked["card_ref"]]["buttons"]
    assert cards[asked["card_ref"]]["status"] == "已退回 · 理由：文字或标点有误"
    assert cards[card["card_ref"]]["status"].startswith("已退回")
    assert "此卡片已失效" in await bot.tap("zhangming", bot.key(asked, "表述需斟酌"))


async def test_a_typed_reason_greys_the_reason_card(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    card = await bot.live_card("zhangming")
    await bot.tap("zhangming", bot.key(card, "退回"))
    asked = await bot.live_card("zhangming")
    await bot.say("zhangming", "退回 #1 第二段日期有误。")
    cards = {c["card_ref"]: c for c in await bot.cards("zhangming")}
    assert cards[asked["card_ref"]]["status"] == "已退回 · 理由：第二段日期有误。"
    assert not cards[asked["card_ref"]]["buttons"]


async def test_important_goes_to_chief(bot: Harness) -> None:
    """rule R-REV-2: important items get their final review from the chief."""
    await bot.say("wangwu", "投稿 黔江文旅\n重要：是\n重大项目签约\n正文。")
    await approve_live(bot, "zhangming")
    card = await bot.live_card("chenwei")
    assert ["审核环节", "三审三校·主要负责人"] in card["fields"]
    assert not await bot.cards("liufang")


async def test_commercial_repost_goes_to_chief(bot: Harness) -> None:
    """rule R-REV-4: a repost from outside the allow-list needs the chief."""
    await bot.say("wangwu", "投稿 黔江文旅\n转载：https://www.gov.cn.evil.com/a.html\n转一篇\n正文。")
    await approve_live(bot, "zhangming")
    card = await bot.live_card("chenwei")
    assert "终审由主要负责人把关" in card["body_md"] and "R-REV-4" in card["body_md"]


async def test_official_repost_goes_to_approver(bot: Harness) -> None:
    """rule R-REV-4: gov.cn and central media sources keep the ordinary final level."""
    await bot.say("wangwu", "投稿 黔江文旅\n转国务院通知\n转载：https://www.gov.cn/zhengce/a.htm\n正文。")
    await approve_live(bot, "zhangming")
    assert ["审核环节", "三审三校·分管负责人"] in (await bot.live_card("liufang"))["fields"]
    draft = await Draft.get(id=1)
    assert draft.repost_url == "https://www.gov.cn/zhengce/a.htm" and draft.title == "转国务院通知"


async def test_self_review_is_escalated(bot: Harness) -> None:
    """rule R-REV-3: 张明 is the only reviewer and the author: level 2 goes up, and level 3
    goes past the approver who decided level 2."""
    reply = await bot.say("zhangming", "投稿 黔江文旅\n自写稿件\n正文。")
    assert "刘芳" in reply
    card = await bot.live_card("liufang")
    assert "不得自编自审" in card["body_md"] and "张明" in card["body_md"]
    assert ["审核环节", "二审二校·分管负责人"] in card["fields"]
    await approve_live(bot, "liufang")
    card = await bot.live_card("chenwei")
    assert ["审核环节", "三审三校·主要负责人"] in card["fields"]
    assert "刘芳" in card["body_md"]
    await approve_live(bot, "chenwei")
    assert (await Draft.get(id=1)).state == DraftState.APPROVED


async def test_nobody_decides_two_levels(bot: Harness) -> None:
    """rule R-REV-3: the supervisor is the last rung when chief and approver are used up."""
    await bot.say("zhangming", "投稿 黔江文旅\n重要：是\n重要自写稿\n正文。")
    # level 2 → approver (author is the reviewer); level 3 important → chief
    await approve_live(bot, "liufang")
    await approve_live(bot, "chenwei")
    steps = await ReviewStep.filter(draft_id=1).order_by("level").values_list(
        "level", "assignee_id")
    assert steps == [(1, "zhangming"), (2, "liufang"), (3, "chenwei")]


async def test_wrong_person_and_stale_cards(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    card = await bot.live_card("zhangming")
    key = bot.key(card, "通过")
    assert "您不是稿件 #1 当前环节的审核人" in await bot.tap("liufang", key)
    assert "您不是稿件 #1 当前环节的审核人" in await bot.say("wangwu", "通过 #1")
    assert await bot.tap("zhangming", key) == ""
    assert "此卡片已失效" in await bot.tap("zhangming", key)  # double tap
    assert "此卡片已失效" in await bot.tap("zhangming", "approve:1:2")  # malformed key
    assert "此卡片已失效" in await bot.tap("zhangming", "nosuchverb:1")
    assert await ReviewStep.filter(draft_id=1, decision__isnull=False).count() == 2


async def test_racing_decisions_exactly_one_wins(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    key = bot.key(await bot.live_card("zhangming"), "通过")
    from bot.channels.sim import inbound as sim

    results = await asyncio.gather(*(bot.dispatcher.feed(sim.tap_event("zhangming", key))
                                     for _ in range(5)))
    assert all(results)
    await bot.sender.flush()
    assert await ReviewStep.filter(draft_id=1, level=3).count() == 1
    stale = [t for t in await bot.texts("zhangming") if "此卡片已失效" in t]
    assert len(stale) == 4
    assert len(await bot.cards("liufang")) == 1


async def test_duplicate_event_is_a_no_op(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT, event_id="evt-1")
    await bot.say("wangwu", DRAFT, event_id="evt-1")
    assert await Draft.all().count() == 1
    assert len(await bot.replies("wangwu")) == 1  # one receipt (a card, issue 20)


async def test_todo_lists_what_waits(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    assert "#1《秋季旅游节开幕》" in await bot.say("zhangming", "待办")
    await bot.say("zhangming", "退回 #1 请补充图片")
    assert "被退回待修改" in await bot.say("wangwu", "待办")
    assert "没有待办" in await bot.say("zhangming", "待办")


async def test_audit_chain_records_every_decision(bot: Harness) -> None:
    from bot import audit

    await bot.say("wangwu", DRAFT)
    await approve_live(bot, "zhangming")
    await approve_live(bot, "liufang")
    actions = await AuditEvent.all().order_by("seq").values_list("action", flat=True)
    assert actions[-5:] == ["review.assigned", "review.approve", "review.assigned",
                            "review.approve", "draft.approved"]
    result = await audit.verify()
    assert result.ok and result.count == len(actions)
    await AuditEvent.filter(seq=3).update(data='{"forged":true}')
    broken = await audit.verify()
    assert (broken.broken_at, broken.reason) == (3, "hash")


async def test_a_new_draft_goes_to_the_reviewer_holding_fewer_open_steps(bot: Harness) -> None:
    """Two reviewers of the unit (R-REV-1's level 2): each draft goes to whoever holds fewer
    undecided steps, the first by id on a tie."""
    from models.org import Person

    await Person.create(id="zhaolei", name="赵磊", unit_id="qj-wlw", roles=["reviewer"])
    for _ in range(3):
        await bot.say("wangwu", DRAFT)
    holders = await ReviewStep.filter(level=2).order_by("draft_id") \
        .values_list("assignee_id", flat=True)
    assert holders == ["zhangming", "zhaolei", "zhangming"]
