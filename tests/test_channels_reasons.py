"""The return reason asked in the card itself (issue 16 point 9): on DingTalk the card's
`reason` input travels with the 退回 tap; on WeCom a tap on 退回 brings a card of common
reasons (button_interaction, one tap each); a reason not listed is still typed."""

from __future__ import annotations

from models.review import Draft, DraftState, ReviewStep
from tests.dingtalk_support import DRAFT, HttpDriver
from tests.fakes.dingtalk import FakeDingTalk
from tests.wecom_office import DRAFT as WECOM_DRAFT
from tests.wecom_office import Office


async def test_dingtalk_reason_typed_into_the_card(talk: HttpDriver, fake: FakeDingTalk) -> None:
    await talk.say("wangwu", DRAFT)
    card = fake.live_card("zhangming")
    assert await talk.tap("zhangming", card["outTrackId"], 1, reason="第二段日期有误；请核实。") == 200
    assert (await Draft.get(id=1)).state == DraftState.RETURNED
    assert (await ReviewStep.get(draft_id=1, level=2)).comment == "第二段日期有误；请核实。"
    assert "第二段日期有误；请核实。" in talk.last_text("wangwu")
    assert fake.cards("zhangming")[-1]["params"]["status"].startswith("已退回")


async def test_dingtalk_empty_input_asks_with_the_common_reasons(talk: HttpDriver,
                                                                 fake: FakeDingTalk) -> None:
    await talk.say("wangwu", DRAFT)
    card = fake.live_card("zhangming")
    await talk.tap("zhangming", card["outTrackId"], 1, reason="  ")
    asked = talk.last_text("zhangming")
    assert "退回 #1 理由" in asked and "退回 #1 事实或数据需核实" in asked
    assert (await Draft.get(id=1)).state == DraftState.REVIEWING
    await talk.say("zhangming", "退回 #1 事实或数据需核实")
    assert (await Draft.get(id=1)).state == DraftState.RETURNED


async def test_wecom_common_reason_is_a_tap_on_a_card(office: Office) -> None:
    fake = office.fake
    await office.say("wangwu", WECOM_DRAFT)
    card = office.live_card("zhangming")
    await office.click("zhangming", card, "退回")
    asked = office.live_card("zhangming")
    assert asked["main_title"]["title"] == "退回稿件 #1：请选择理由"
    labels = [b["text"] for b in asked["button_list"]]
    assert labels[:2] == ["事实或数据需核实", "文字或标点有误"] and len(labels) <= 6
    assert all(len(label) <= 10 for label in labels)
    assert "退回 #1 理由" in fake.texts("zhangming")[-1]  # the card's text: how to type one
    await office.click("zhangming", asked, "图片或视频需调整")
    assert (await Draft.get(id=1)).state == DraftState.RETURNED
    assert "图片或视频需调整" in fake.texts("wangwu")[-1]
    # both cards greyed: the review card and the reason card; and the author's receipt
    # (recipients are served at once: only each one's own order is kept)
    names = [(u["userids"], u["button"]["replace_name"]) for u in fake.updates()]
    assert sorted(names) == [(["wangwu"], "已退回"), (["zhangming"], "已退回"),
                             (["zhangming"], "已退回")]
