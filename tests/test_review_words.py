"""Issue 16 points 3 and 4: reviewers' words are kept as written (full-width punctuation in
退回 reasons and 通过 comments), and a new version's card keeps the earlier history."""

from __future__ import annotations

import json

from models.registry import Filing
from models.review import ReviewStep
from models.system import AuditEvent
from tests.conftest import Harness

DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"
REASON = "第二段日期有误，请核实；另：标题太长"


async def test_return_reason_is_kept_as_written(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", f"退回 ＃1　{REASON}")
    step = await ReviewStep.get(draft_id=1, level=2)
    assert step.comment == REASON
    assert REASON in (await bot.texts("wangwu"))[-1]  # the author's notice
    assert f"理由：{REASON}" in (await bot.cards("zhangming"))[-1]["status"]  # the card
    event = await AuditEvent.filter(action="review.reject").first()
    assert event is not None and json.loads(event.data)["comment"] == REASON  # the record


async def test_approval_comment_is_kept_as_written(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", "通过 #1 同意，建议发布：注意配图")
    assert (await ReviewStep.get(draft_id=1, level=2)).comment == "同意，建议发布：注意配图"
    await bot.say("liufang", "通过 #1 已核，同意（数据已核实）")
    assert (await ReviewStep.get(draft_id=1, level=3)).comment == "同意（数据已核实）"


async def test_filing_comment_is_kept_as_written(bot: Harness) -> None:
    await bot.say("wangwu", "关停 黔江文旅\n理由：合并到清新黔江")
    filing = await Filing.first()
    assert filing is not None
    await bot.say("chenwei", f"退回备案 #{filing.id} 材料不全，请补充：会议纪要；公告")
    assert any("材料不全，请补充：会议纪要；公告" in t for t in await bot.texts("wangwu"))


async def test_the_next_version_keeps_the_earlier_return(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", f"退回 #1 {REASON}")
    await bot.say("wangwu", "修改 #1\n秋季旅游节开幕\n10月2日，旅游节开幕。")
    card = await bot.live_card("zhangming")
    assert ["版本", "v2"] in card["fields"]
    body = card["body_md"]
    assert "v1 · 二审二校 · 张明（科室负责人）· 退回" in body and REASON in body
    assert body.index("v1 · 二审二校") < body.index("v2 · 一审一校")
