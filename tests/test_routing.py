"""Issue 14: two classes of escalation for the final review (R-REV-2, R-REV-4, R-REV-7) and
option lines wherever they stand; the card and the receipt say who reviews and why."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import DomainError
from bot.policy import load_policy
from handlers.review.form import parse_draft_form
from models.review import Draft, ReviewStep
from models.system import AuditEvent
from tests import databases
from tests.conftest import Harness
from tests.test_handlers_review import approve_live


def jingyuan(backend: str) -> Harness:
    load_policy.cache_clear()
    return Harness(Settings(database_url=databases.URLS[backend], outbox_poll_seconds=0.05,
                            policy="jingyuan"))


async def final_assignee(draft_id: int = 1) -> str:
    steps = await ReviewStep.filter(draft_id=draft_id).order_by("-level").first()
    assert steps is not None
    return steps.assignee_id  # type: ignore[attr-defined,no-any-return]


# --- option lines anywhere (issue 14 point 4) -------------------------------------------

def test_an_option_line_counts_wherever_it_stands() -> None:
    form = parse_draft_form(["重大项目签约", "第一段。", "", "第二段。", "重要：是"])
    assert form.important is True and form.body == "第一段。\n\n第二段。"
    form = parse_draft_form(["标题", "正文。", "转载:https://www.gov.cn/a.htm", "尾段。",
                             "重大：是", "任务：3"])
    assert (form.repost_url, form.major, form.relay_task) == ("https://www.gov.cn/a.htm",
                                                              True, 3)
    assert form.body == "正文。\n尾段。"


def test_prose_that_looks_like_an_option_stays_in_the_body() -> None:
    form = parse_draft_form(["通知", "重要：各单位要高度重视。", "类别：一类项目", "正文。"])
    assert form.important is None and form.category is None
    assert form.body == "重要：各单位要高度重视。\n类别：一类项目\n正文。"


def test_an_option_given_twice_differently_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        parse_draft_form(["重要：否", "标题", "正文。", "重要：是"])
    assert "写了两次且不一致" in err.value.text()


async def test_important_as_the_last_line_goes_to_the_chief(bot: Harness) -> None:
    """rule R-REV-2: `重要：是` written last (where many put it) is an option, not body."""
    reply = await bot.say("wangwu", "投稿 黔江文旅\n重大项目签约\n正文第一段。\n重要：是")
    assert "陈伟（主要负责人）" in reply and "重要：是" in reply and "R-REV-2" in reply
    draft = await Draft.get(id=1)
    assert draft.important and draft.body == "正文第一段。"
    await approve_live(bot, "zhangming")
    card = await bot.live_card("chenwei")
    assert "重要稿件" in card["body_md"]
    assert not await bot.cards("liufang")


async def test_major_goes_to_the_chief_and_says_why(bot: Harness) -> None:
    """rule R-REV-2 (001 Art.19 major class): `重大：是` anywhere → the chief."""
    reply = await bot.say("wangwu", "投稿 黔江文旅\n关于暴雨的情况说明\n正文。\n重大：是")
    assert "三审三校：陈伟（主要负责人）" in reply and "重大：是" in reply
    await approve_live(bot, "zhangming")
    card = await bot.live_card("chenwei")
    assert "终审由主要负责人把关" in card["body_md"] and "重大：是" in card["body_md"]
    assert (await Draft.get(id=1)).major


async def test_sensitive_event_goes_to_the_chief(bot: Harness) -> None:
    """rule R-REV-7: a draft reporting a death is never signed off by the 分管 alone."""
    reply = await bot.say("wangwu", "投稿 黔江文旅\n情况通报\n某村发生山体塌方，1人遇难。")
    assert "陈伟（主要负责人）" in reply and "R-REV-7" in reply
    await approve_live(bot, "zhangming")
    assert "R-REV-7" in (await bot.live_card("chenwei"))["body_md"]
    assert await final_assignee() == "chenwei"
    final = await AuditEvent.filter(action="review.assigned").order_by("-seq").first()
    assert final is not None and "R-REV-7" in final.data  # rule R-REV-5: on the record


async def test_commercial_link_in_the_body_goes_to_the_chief(bot: Harness) -> None:
    """rule R-REV-4: a commercial page linked in the body needs the chief."""
    reply = await bot.say("wangwu", "投稿 黔江文旅\n旅游节门票\n购票请点 https://shop.example.com/t 。")
    assert "陈伟（主要负责人）" in reply and "R-REV-4" in reply
    await approve_live(bot, "zhangming")
    assert await final_assignee() == "chenwei"


async def test_a_false_positive_mark_takes_the_finding_out_of_the_route(bot: Harness) -> None:
    """The 二审 reviewer marks the only sensitive finding as 误报: the usual final level."""
    await bot.say("wangwu", "投稿 黔江文旅\n演出通知\n晚会演出：《山体塌方》情景剧。")
    draft = await Draft.get(id=1)
    from handlers.precheck.review import chief_findings
    chief = await chief_findings(draft)
    assert chief
    await bot.say("zhangming", "误报 #1 " + " ".join(str(f.seq) for f in chief))
    await approve_live(bot, "zhangming")
    assert await final_assignee() == "liufang"


async def test_ordinary_receipt_names_every_level(bot: Harness) -> None:
    reply = await bot.say("wangwu", "投稿 黔江文旅\n秋季旅游节开幕\n濯水古镇开幕。")
    assert "审核路线：一审一校：王五（信息员） → 二审二校：张明（科室负责人） → " \
           "三审三校：刘芳（分管负责人）。" in reply


async def test_jingyuan_important_is_the_approvers_major_the_chiefs(db: None,
                                                                    backend: str) -> None:
    """rule R-REV-2 · 001 Art.19: 重要信息 → 分管领导; 重大 → 主要负责同志."""
    bot = jingyuan(backend)
    reply = await bot.say("wangwu", "投稿 黔江文旅\n重点项目签约\n正文。\n重要：是")
    assert "三审三校：刘芳（分管负责人）" in reply and "重要稿件由分管负责人终审" in reply
    await approve_live(bot, "zhangming")
    assert await final_assignee(1) == "liufang"
    reply = await bot.say("wangwu", "投稿 黔江文旅\n暴雨应对\n正文。\n重要：是\n重大：是")
    assert "三审三校：陈伟（主要负责人）" in reply
    await approve_live(bot, "zhangming")
    assert await final_assignee(2) == "chenwei"


async def test_an_option_sent_as_the_last_message_counts(db: None, settings: Settings) -> None:
    """Platforms split a paste: `重大：是` arriving as its own message is an option."""
    import dataclasses

    from tests.test_draft_intake import WINDOW, close_windows
    bot = Harness(dataclasses.replace(settings, draft_join_seconds=WINDOW))
    await bot.say("wangwu", "投稿 黔江文旅\n暴雨预警\n第一段，")
    assert "重大：是" in await bot.say("wangwu", "重大：是")
    await bot.say("wangwu", "第二段。\n重要：是")
    await close_windows(bot)
    draft = await Draft.get(id=1)
    assert draft.major and draft.important and "重" not in draft.body
    assert "陈伟（主要负责人）" in (await bot.replies("wangwu"))[-1]  # the receipt card
