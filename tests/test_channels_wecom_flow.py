"""The whole review flow through /wecom/callback and a fake WeCom API server."""

from __future__ import annotations

import re

from models.channel_state import CardCopy
from models.review import Draft, DraftState, ReviewStep
from models.system import InboundEvent, Outbox
from tests.wecom_office import DRAFT, Office

TASK_ID = re.compile(r"^[0-9A-Za-z_\-@]{1,128}$")


async def test_review_flow_through_wecom(office: Office) -> None:
    fake = office.fake
    await office.say("wangwu", DRAFT)
    # the receipt is a card (issue 20): its text, then 催办 / 撤回 buttons
    assert "已收到稿件 #1" in fake.texts("wangwu")[-1]
    receipt = office.live_card("wangwu")
    assert [b["text"] for b in receipt["button_list"]] == ["催办", "撤回"]
    card = office.live_card("zhangming")
    assert TASK_ID.match(card["task_id"]) and card["card_type"] == "button_interaction"
    assert [b["key"] for b in card["button_list"]] == ["approve:1:2:1", "reject:1:2:1",
                                                      "handover:1:2:1"]
    assert "正文第一段" in fake.texts("zhangming")[-1]  # the full text went just before

    code = await office.click("zhangming", card, "通过")
    update = fake.updates()[-1]
    assert update == {"userids": ["zhangming"], "agentid": 1000002, "response_code": code,
                      "button": {"replace_name": "已通过"}}
    card2 = office.live_card("liufang")
    assert card2["button_list"][0]["key"] == "approve:1:3:1"

    code2 = await office.click("liufang", card2, "通过")
    assert fake.updates()[-2]["response_code"] == code2
    # the review is over: the receipt's buttons go grey with the send's code
    assert fake.updates()[-1]["userids"] == ["wangwu"]
    assert fake.updates()[-1]["button"] == {"replace_name": "已通过"}
    draft = await Draft.get(id=1)
    assert draft.state == DraftState.APPROVED
    assert any("#1" in t and "发布" in t for t in fake.texts("wangwu"))
    assert len(fake.to("/cgi-bin/gettoken")) == 1  # the token is cached
    assert await CardCopy.filter(decided=False).count() == 0
    assert await Outbox.exclude(status="sent").count() == 0


async def test_token_expiry_mid_flow(office: Office) -> None:
    fake = office.fake
    await office.say("wangwu", DRAFT)
    fake.expire_tokens()
    await office.click("zhangming", office.live_card("zhangming"), "通过")
    assert len(fake.to("/cgi-bin/gettoken")) == 2
    assert len(fake.updates()) == 1 and len(fake.cards("liufang")) == 1


async def test_busy_api_then_back_delivers_each_message_once(office: Office) -> None:
    fake = office.fake
    fake.fail_next("/cgi-bin/message/send", -1, times=4)
    await office.say("wangwu", DRAFT)
    for _ in range(5):
        await office.retry_now()
    assert len(fake.cards("zhangming")) == 1
    assert len(fake.texts("zhangming")) == 1  # the card's text part: once, not per retry
    assert len(fake.texts("wangwu")) == 1  # the receipt card's text part: once
    assert len(fake.cards("wangwu")) == 1
    assert await Outbox.exclude(status="sent").count() == 0


async def test_rate_limited_api_backs_off(office: Office) -> None:
    office.fake.fail_next("/cgi-bin/message/send", 45009, times=1)
    await office.say("wangwu", "帮助")
    row = await Outbox.get()
    assert (row.status, row.attempts) == ("pending", 1) and "45009" in row.last_error
    await office.retry_now()
    assert len(office.fake.texts("wangwu")) == 1


async def test_duplicate_callbacks_are_no_ops(office: Office) -> None:
    await office.say("wangwu", DRAFT, msg_id=777)
    await office.say("wangwu", DRAFT, msg_id=777)
    assert await Draft.all().count() == 1
    card = office.live_card("zhangming")
    key = card["button_list"][0]["key"]
    click = office.wecom.click_xml("zhangming", card["task_id"], key,
                                   office.fake.issue_code(card["task_id"]), created=1700000000)
    await office.post(click)
    await office.post(click)
    assert await ReviewStep.filter(decision="approve", level=2).count() == 1
    assert len(office.fake.cards("liufang")) == 1
    assert len(office.fake.updates()) == 1


async def test_wrong_person_clicking_changes_nothing(office: Office) -> None:
    await office.say("wangwu", DRAFT)
    card = office.live_card("zhangming")
    events = await InboundEvent.all().count()
    await office.click("liufang", card, "通过")
    assert await ReviewStep.filter(level=2, decision__isnull=True).count() == 1
    assert office.fake.texts("liufang")[-1].startswith("您不是稿件 #1 当前环节的审核人")
    assert office.fake.updates() == []
    assert await InboundEvent.all().count() == events + 1


async def test_click_on_decided_card_only_answers(office: Office) -> None:
    await office.say("wangwu", DRAFT)
    card = office.live_card("zhangming")
    await office.click("zhangming", card, "通过")
    await office.click("zhangming", card, "通过")  # a second tap on the greyed card
    assert await ReviewStep.filter(level=2).count() == 1
    assert len(office.fake.cards("liufang")) == 1
    assert len(office.fake.updates()) == 1
    assert office.fake.texts("zhangming")[-1].startswith("此卡片已失效")


async def test_click_for_unknown_task_is_ignored(office: Office) -> None:
    await office.say("wangwu", DRAFT)
    sent = await Outbox.all().count()
    await office.post(office.wecom.click_xml("zhangming", "never-sent-1", "approve:1:2:1",
                                             "c"))
    await office.post(office.wecom.click_xml("zhangming", office.live_card("zhangming")
                                             ["task_id"], "approve:9:9:9", "c"))
    # stored as they came (and acknowledged), then dropped: no answer, nothing decided
    assert await InboundEvent.filter(status="pending").count() == 0
    assert await Outbox.all().count() == sent
    assert await ReviewStep.filter(level=2, decision__isnull=True).count() == 1


async def test_expired_code_sends_a_status_instead(office: Office) -> None:
    await office.say("wangwu", DRAFT)
    await CardCopy.filter(user_id="zhangming").update(code_expires_at="2000-01-01T00:00:00Z")
    await office.say("zhangming", "通过 #1 同意")
    assert office.fake.updates() == []
    assert any(t.startswith("【已处理】") for t in office.fake.texts("zhangming"))
    # live: liufang's new card, and the author's receipt while the draft is in review
    live = await CardCopy.filter(decided=False).values_list("user_id", flat=True)
    assert sorted(live) == ["liufang", "wangwu"]


async def test_spent_code_sends_a_status_instead(office: Office) -> None:
    await office.say("wangwu", DRAFT)
    office.fake._codes.clear()  # the platform no longer knows the code (already used)
    await office.say("zhangming", "通过 #1")
    assert office.fake.updates() == []
    assert any(t.startswith("【已处理】") for t in office.fake.texts("zhangming"))


async def test_text_decision_uses_the_send_code(office: Office) -> None:
    await office.say("wangwu", DRAFT)
    await office.say("zhangming", "通过 #1")
    assert office.fake.updates()[-1]["response_code"].startswith("send-code-")


async def test_the_moves_from_wecom_cards(office: Office) -> None:
    """issue 20 through /wecom/callback: the author taps 催办 on the receipt card; the
    reviewer taps 转交, then a person on the card that brings; stale taps only answer."""
    from models.org import Person

    fake = office.fake
    await Person.create(id="zhaolei", name="赵磊", unit_id="qj-wlw", roles=["reviewer"])
    await office.say("wangwu", DRAFT)
    receipt = office.live_card("wangwu")
    await office.click("wangwu", receipt, "催办")
    assert fake.texts("zhangming")[-1].startswith("【催办】起草人 王五")
    assert fake.texts("wangwu")[-1].startswith("已提醒 张明")
    await office.click("wangwu", receipt, "催办")  # again within the period: refused
    assert "刚催办过" in fake.texts("wangwu")[-1]

    card = office.live_card("zhangming")
    await office.click("zhangming", card, "转交")
    people = office.live_card("zhangming")
    assert people["task_id"] != card["task_id"]
    assert [b["text"] for b in people["button_list"]] == ["赵磊"]  # R-REV-3: not 王五
    await office.click("zhangming", people, "赵磊")
    step = await ReviewStep.get(draft_id=1, level=2)
    assert step.assignee_id == "zhaolei"  # type: ignore[attr-defined]
    assert fake.texts("zhangming")[-1].startswith("已将稿件 #1 的二审二校转交给 赵磊")
    # both of 张明's cards went grey; 赵磊 got the card with who handed it over
    replaced = [u["button"]["replace_name"] for u in fake.updates()
                if u["userids"] == ["zhangming"]]
    assert replaced == ["已转交", "已转交"]
    assert "张明 于" in fake.texts("zhaolei")[-1]
    assert [b["text"] for b in office.live_card("zhaolei")["button_list"]] == [
        "通过", "退回", "转交"]
    # a stale tap on the old card: answered, nothing moves
    await office.click("zhangming", card, "转交")
    assert fake.texts("zhangming")[-1].startswith("此卡片已失效")
    step = await ReviewStep.get(draft_id=1, level=2)
    assert step.assignee_id == "zhaolei"  # type: ignore[attr-defined]

    await office.click("wangwu", receipt, "撤回")
    assert (await Draft.get(id=1)).state == DraftState.WITHDRAWN
    assert fake.updates()[-1]["userids"] == ["wangwu"]  # the receipt itself went grey
    assert fake.updates()[-1]["button"] == {"replace_name": "已撤回"}
    await office.click("wangwu", receipt, "催办")  # a stale tap: answered, nothing sent
    assert "不在审核中" in fake.texts("wangwu")[-1]
    assert await Outbox.exclude(status="sent").count() == 0
