"""The everyday approval moves through the chat interface (issue 20): 撤回, 催办, 转交, 改派,
请假; each respects R-REV-3 (nobody decides a draft they wrote or another level of it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.config import Settings
from models.org import Absence, Person
from models.reminders import ReminderLog
from models.review import Draft, DraftState, ReviewStep
from models.system import AuditEvent
from tests.conftest import Harness

DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"
OTHER = "投稿 清新黔江\n非遗展演\n土家摆手舞展演视频。"


async def _second_reviewer(roles: tuple[str, ...] = ("reviewer",)) -> Person:
    return await Person.create(id="zhaolei", name="赵磊", unit_id="qj-wlw", roles=list(roles))


async def _step(draft_id: int = 1) -> ReviewStep:
    draft = await Draft.get(id=draft_id)
    return await ReviewStep.get(draft_id=draft_id, version=draft.version, level=draft.level)


async def _actions() -> list[str]:
    return [e.action for e in await AuditEvent.all().order_by("seq")]


async def test_withdraw_before_any_decision_then_revise(bot: Harness) -> None:
    """撤回 while no level above the author decided: the card says 已撤回, the reviewer is
    told, and 修改 sends a new version."""
    await bot.say("wangwu", DRAFT)
    assert "只有稿件 #1 的起草人可以撤回" in await bot.say("lisi", "撤回 #1")
    reply = await bot.say("wangwu", "撤回 #1 数据需要更新")
    assert "已撤回" in reply and "修改 #1" in reply
    assert (await Draft.get(id=1)).state == DraftState.WITHDRAWN
    card = (await bot.cards("zhangming"))[-1]
    assert card["buttons"] == [] and card["status"].startswith("已撤回 · 起草人 王五")
    assert "数据需要更新" in (await bot.texts("zhangming"))[-1]
    assert not await ReviewStep.filter(draft_id=1, decision__isnull=True).exists()
    assert "review.withdrawn" in await _actions()
    assert "已撤回" in await bot.say("wangwu", "待办")
    assert "不在审核中" in await bot.say("wangwu", "撤回 #1")

    await bot.say("wangwu", "修改 #1\n秋季旅游节开幕（更新）\n10月2日，黔江秋季旅游节开幕。")
    draft = await Draft.get(id=1)
    assert (draft.state, draft.version) == (DraftState.REVIEWING, 2)
    assert (await bot.live_card("zhangming"))["title"].endswith("秋季旅游节开幕（更新）")


async def test_withdraw_after_a_decision_needs_the_reviewers_agreement(bot: Harness) -> None:
    """moves.withdraw_after_decision = agreement (default profile): the author asks, the
    current reviewer's 撤回 takes it back; nobody else can."""
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", "通过 #1")
    reply = await bot.say("wangwu", "撤回 #1 标题要改")
    assert "刘芳" in reply and "同意" in reply
    assert (await Draft.get(id=1)).state == DraftState.REVIEWING
    request = (await bot.cards("liufang"))[-1]
    assert "请求撤回稿件 #1" in request["body_md"] and "标题要改" in request["body_md"]
    assert "起草人可以撤回" in await bot.say("zhangming", "撤回 #1")
    await bot.tap("zhangming", bot.key(request, "同意撤回"))
    assert (await Draft.get(id=1)).state == DraftState.REVIEWING
    await bot.tap("liufang", bot.key(request, "同意撤回"))
    assert (await Draft.get(id=1)).state == DraftState.WITHDRAWN
    cards = await bot.cards("liufang")  # the review card and the request card: both closed
    assert len(cards) == 2 and all(c["status"].startswith("已撤回") for c in cards)
    assert "刘芳 已同意" in (await bot.texts("wangwu"))[-1]


async def test_withdraw_never_after_a_decision(db: None, settings: Settings,
                                               tmp_path: Path) -> None:
    """moves.withdraw_after_decision = never: refused, the author is told whom to ask."""
    profile = tmp_path / "never.toml"
    profile.write_text('extends = "default"\nname = "never"\n[moves]\n'
                       'withdraw_after_decision = "never"\n', encoding="utf-8")
    bot = Harness(Settings(database_url=settings.database_url, outbox_poll_seconds=0.05,
                           policy=str(profile)))
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", "通过 #1")
    assert "不能再撤回" in await bot.say("wangwu", "撤回 #1")
    assert (await Draft.get(id=1)).state == DraftState.REVIEWING


async def test_nudge_once_per_period(bot: Harness) -> None:
    """催办 tells the reviewer and the author who holds it since when; then not again
    within moves.nudge_every_hours."""
    await bot.say("wangwu", DRAFT)
    reply = await bot.say("wangwu", "催办 #1")
    assert "已提醒 张明" in reply and "二审二校" in reply and " 自 " in reply
    assert "【催办】" in (await bot.texts("zhangming"))[-1]
    assert "刚催办过" in await bot.say("wangwu", "催办 #1")
    assert "只有稿件 #1 的起草人可以催办" in await bot.say("lisi", "催办 #1")
    step = await _step()
    earlier = (utcnow() - timedelta(hours=5)).isoformat()
    await ReviewStep.filter(id=step.id).update(
        moves=[{**m, "at": earlier} for m in step.moves or []])
    assert "已提醒 张明" in await bot.say("wangwu", "催办 #1")
    assert (await _actions()).count("review.nudged") == 2


async def test_handover_to_the_same_role_only(bot: Harness) -> None:
    """转交: the current reviewer to another holder of the role; the old card closes, the
    new holder's card says who handed it over and why; R-REV-3 refusals change nothing."""
    await _second_reviewer(("reviewer", "approver"))
    await bot.say("wangwu", DRAFT)
    assert "只有稿件 #1 当前环节的审核人可以转交" in await bot.say("lisi", "转交 #1 赵磊")
    assert "该环节需由" in await bot.say("zhangming", "转交 #1 李四")
    assert "不得自编自审" in await bot.say("zhangming", "转交 #1 王五")
    assert "转交格式" in await bot.say("zhangming", "转交 #1")
    assert "已将稿件 #1 的二审二校转交给 赵磊" in await bot.say("zhangming", "转交 #1 赵磊 出差")
    old = (await bot.cards("zhangming"))[-1]
    assert old["buttons"] == [] and old["status"].startswith("已转交 · 赵磊")
    card = await bot.live_card("zhaolei")
    assert "张明 于" in card["body_md"] and "转交给 赵磊（出差）" in card["body_md"]
    holder = dict(map(tuple, card["fields"]))["当前办理"]  # type: ignore[arg-type]
    assert holder.startswith("赵磊 · 自 ")
    assert "不是稿件 #1 当前环节的审核人" in await bot.say("zhangming", "通过 #1")
    assert "已通过" in await bot.say("zhaolei", "通过 #1")
    # R-REV-3: 赵磊 decided level 2, so he may not take level 3 from 刘芳
    assert "不得自编自审" in await bot.say("liufang", "转交 #1 赵磊")
    step = await _step()
    assert step.assignee_id == "liufang"  # type: ignore[attr-defined]
    events = await AuditEvent.filter(action="review.handover")
    assert len(events) == 1 and "zhaolei" in str(events[0].data)


async def test_reassign_by_the_chief_or_a_supervisor(bot: Harness) -> None:
    """改派: the unit's chief and a supervisor above move a step to an eligible person."""
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    assert "只有本单位主要负责人和上级主管单位可以改派" in await bot.say("lisi", "改派 #1 赵磊")
    assert "只有本单位主要负责人" in await bot.say("zhengyu", "改派 #1 赵磊")
    assert "不得自编自审" in await bot.say("chenwei", "改派 #1 王五")
    assert "已改派给" not in await bot.say("chenwei", "改派 #1 张明")
    assert "改派给 赵磊" in await bot.say("chenwei", "改派 #1 赵磊 张明外出")
    assert (await bot.cards("zhangming"))[-1]["status"].startswith("已改派 · 赵磊")
    assert "陈伟 于" in (await bot.live_card("zhaolei"))["body_md"]
    # a role above the step's on the ladder may take it too
    assert "改派给 刘芳" in await bot.say("zhaoqiang", "改派 #1 刘芳")
    assert (await _step()).assignee_id == "liufang"  # type: ignore[attr-defined]
    await bot.say("liufang", "通过 #1")
    # 刘芳 decided level 2: level 3 went up the ladder past her (R-REV-3)
    assert (await _step()).assignee_id == "chenwei"  # type: ignore[attr-defined]


def _days(n: int) -> str:
    from zoneinfo import ZoneInfo
    return (utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=n)) \
        .isoformat()


async def test_away_with_a_deputy(bot: Harness) -> None:
    """请假 with a deputy: open steps go to the deputy on the holder's behalf, new steps too;
    the card and 待办 say on whose behalf."""
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    reply = await bot.say("zhangming", f"请假 {_days(0)} {_days(2)} 赵磊")
    assert "代理人 赵磊" in reply and "1 件待审稿件已转给代理人" in reply
    assert (await bot.cards("zhangming"))[-1]["status"].startswith("请假期间由代理人办理")
    step = await _step()
    assert (step.assignee_id, step.on_behalf_of) == ("zhaolei", "zhangming")  # type: ignore[attr-defined]
    card = await bot.live_card("zhaolei")
    assert "代 张明" in dict(map(tuple, card["fields"]))["当前办理"]  # type: ignore[arg-type]
    await bot.say("lisi", OTHER)
    second = await _step(2)
    assert (second.assignee_id, second.on_behalf_of) == ("zhaolei", "zhangming")  # type: ignore[attr-defined]
    assert "代 张明" in await bot.say("zhaolei", "待办")
    assert "赵磊" in await bot.say("wangwu", "待办")
    assert "只能为自己登记请假" in await bot.say("lisi", f"请假 张明 {_days(0)} {_days(1)}")
    assert "请假格式" in await bot.say("zhangming", "请假 明年")


async def test_away_without_deputy_climbs_and_chief_sets_it(bot: Harness) -> None:
    """The chief sets 请假 for a member; with no other reviewer and no deputy, a new step
    goes up the ladder, and the late-review reminder skips the absent holder."""
    await bot.say("wangwu", DRAFT)
    reply = await bot.say("chenwei", f"请假 张明 {_days(0)} {_days(1)}")
    assert "已登记 张明" in reply and "1 件待审稿件" in reply
    assert "陈伟 已为您登记" in (await bot.texts("zhangming"))[-1]
    assert await Absence.filter(person_id="zhangming", set_by="chenwei").exists()
    await bot.say("lisi", OTHER)
    second = await _step(2)
    assert second.assignee_id == "liufang" and "请假中" in second.escalation_note  # type: ignore[attr-defined]


async def test_deputy_takes_a_step_by_acting_on_it(bot: Harness) -> None:
    """An absence that starts after the step was assigned: the deputy's 通过 takes the step
    on the holder's behalf (their steps are offered to the deputy)."""
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    await Absence.create(person_id="zhangming", deputy_id="zhaolei", set_by="org",
                         starts_at=utcnow() - timedelta(minutes=1),
                         ends_at=utcnow() + timedelta(days=1))
    assert "不是稿件 #1 当前环节的审核人" in await bot.say("lisi", "通过 #1")
    assert "已通过" in await bot.say("zhaolei", "通过 #1")
    step = await ReviewStep.get(draft_id=1, level=2)
    assert (step.assignee_id, step.on_behalf_of, step.decision) == (  # type: ignore[attr-defined]
        "zhaolei", "zhangming", "approve")


async def test_the_org_file_carries_away(bot: Harness) -> None:
    """people.away in the org file: loaded, exported, reloaded unchanged; while it lasts a
    new step goes to the deputy on the holder's behalf; a bad deputy is refused."""
    import pytest

    from bot import orgfile
    from bot.demo import DEMO_FILE

    text = DEMO_FILE.read_text(encoding="utf-8").replace(
        'roles = ["reviewer", "editor"]',
        f'roles = ["reviewer", "editor"]\naway = [{{ from = {_days(0)}, to = {_days(2)}, '
        'deputy = "liufang" }]', 1)
    summary = await orgfile.apply(orgfile.parse(text))
    assert summary.updated["people"] == 1
    assert not (await orgfile.apply(orgfile.parse(text))).changed
    exported = await orgfile.export()
    assert f"from = {_days(0)}" in exported and 'deputy = "liufang"' in exported
    assert not (await orgfile.apply(orgfile.parse(exported))).changed
    await bot.say("wangwu", DRAFT)
    step = await _step()
    assert (step.assignee_id, step.on_behalf_of) == ("liufang", "zhangming")  # type: ignore[attr-defined]
    await bot.say("liufang", "通过 #1")
    assert (await _step()).assignee_id == "chenwei"  # type: ignore[attr-defined]  # R-REV-3
    with pytest.raises(orgfile.OrgFileError, match="代理人"):
        orgfile.parse(text.replace('deputy = "liufang"', 'deputy = "nobody"'))
    with pytest.raises(orgfile.OrgFileError, match="请假日期"):
        orgfile.parse(text.replace(f"to = {_days(2)}", "to = 2020-01-01"))


async def test_the_org_file_does_not_undo_back(bot: Harness) -> None:
    """销假 on a 请假 the org file set: loading the same file again neither brings the ended
    absence back nor the called-off one (the file still lists both); export drops them."""
    from bot import orgfile
    from bot.demo import DEMO_FILE

    text = DEMO_FILE.read_text(encoding="utf-8").replace(
        'roles = ["reviewer", "editor"]',
        f'roles = ["reviewer", "editor"]\naway = [{{ from = {_days(0)}, to = {_days(1)} }}, '
        f'{{ from = {_days(3)}, to = {_days(4)} }}]', 1)
    await orgfile.apply(orgfile.parse(text))
    assert "的请假已结束" in await bot.say("zhangming", "销假")
    assert "尚未开始" in await bot.say("zhangming", "销假")
    assert "目前没有进行中或已登记的请假" in await bot.say("zhangming", "销假")
    assert not (await orgfile.apply(orgfile.parse(text))).changed
    assert "目前没有进行中或已登记的请假" in await bot.say("zhangming", "销假")
    assert not await Absence.filter(person_id="zhangming", set_by="org").exists()
    assert f"from = {_days(3)}" not in await orgfile.export()
    await bot.say("wangwu", DRAFT)  # 张明 is back: the step is theirs, on nobody's behalf
    step = await _step()
    assert (step.assignee_id, step.on_behalf_of) == ("zhangming", None)  # type: ignore[attr-defined]
    # a new entry in the file (another start) is applied as before
    later = text.replace(f"from = {_days(3)}", f"from = {_days(2)}")
    assert (await orgfile.apply(orgfile.parse(later))).updated["people"] == 1
    assert await Absence.filter(person_id="zhangming", set_by="org").count() == 1


async def test_the_review_record_shows_the_moves(bot: Harness) -> None:
    """rule R-REV-5: the record's audit lines name each move in words."""
    from bot.policy import load_policy
    from handlers.reports.record import action_label, load_record

    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    await bot.say("wangwu", "催办 #1")
    await bot.say("zhangming", "转交 #1 赵磊 出差")
    await bot.say("chenwei", "改派 #1 张明")
    record = await load_record(1, load_policy(bot.settings.policy), bot.settings.tz)
    labels = [action_label(a.action) for a in record.audit]
    assert [x for x in labels if x in ("催办", "转交", "改派")] == ["催办", "转交", "改派"]


async def test_late_review_reminder_skips_an_absent_holder(bot: Harness) -> None:
    """请假: the late-review reminder goes to the deputy, or without one to the chief; the
    absent holder is not chased."""
    from tests.test_reminders import at, only, scan

    await only(updated=at(11, 20, 9), changed=at(11, 20, 9))
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    await ReviewStep.filter(decision__isnull=True).update(created_at=at(11, 10, 16))
    await Absence.create(person_id="zhangming", set_by="zhangming", starts_at=at(11, 11, 0),
                         ends_at=at(11, 14, 0), deputy_id="zhaolei")
    await scan(bot, at(11, 11, 9))  # the day's digests first
    late = await scan(bot, at(11, 11, 10, 35))
    assert set(late) == {"zhaolei"} and "稿件 #1" in late["zhaolei"], late

    await Absence.all().update(deputy_id=None)
    await bot.say("lisi", OTHER)
    await ReviewStep.filter(draft_id=2, decision__isnull=True).update(
        created_at=at(11, 12, 16), assignee_id="zhangming")  # held before he left
    await scan(bot, at(11, 13, 9))
    late = await scan(bot, at(11, 13, 10, 35))
    assert "zhangming" not in late and "稿件 #2" in late["chenwei"], late
    assert "正在请假" in late["chenwei"] and "改派 #2" in late["chenwei"]


async def test_back_ends_an_absence_or_calls_it_off(bot: Harness) -> None:
    """销假: for oneself or by the unit's chief; an absence in progress ends now (the steps
    the deputy took stay with the deputy), one not begun is called off; routing and the
    reminders count the person again."""
    await _second_reviewer()
    assert "目前没有进行中或已登记的请假" in await bot.say("zhangming", "销假")
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", f"请假 {_days(0)} {_days(2)} 赵磊")
    assert "只能为自己销假" in await bot.say("lisi", "销假 张明")
    assert "销假格式" in await bot.say("zhangming", "销假 张明 明天")
    reply = await bot.say("zhangming", "销假")
    assert f"{_days(0)} 至 {_days(2)} 的请假已结束" in reply
    assert "1 件稿件仍由代理人办理" in reply and "转交 #稿件号 张明" in reply
    assert "张明 已销假" in (await bot.texts("zhaolei"))[-1]
    assert (await _step()).assignee_id == "zhaolei"  # type: ignore[attr-defined]
    assert not await Absence.filter(person_id="zhangming", ends_at__gt=utcnow()).exists()
    assert await Absence.filter(person_id="zhangming").count() == 1  # the days away stay
    await bot.say("lisi", OTHER)  # 张明 is back: the least loaded reviewer again
    assert (await _step(2)).assignee_id == "zhangming"  # type: ignore[attr-defined]
    assert "person.back" in await _actions()

    await bot.say("chenwei", f"请假 张明 {_days(3)} {_days(4)}")
    reply = await bot.say("chenwei", "销假 张明")
    assert f"已取消 张明 {_days(3)} 至 {_days(4)} 的请假（尚未开始）" in reply
    assert "陈伟 已取消您" in (await bot.texts("zhangming"))[-1]
    assert await Absence.filter(person_id="zhangming").count() == 1


async def test_an_absence_registered_ahead_begins_on_the_scheduler(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """请假 registered for tomorrow: nothing moves today; when it begins, the scheduler's
    job offers the open steps to the deputy (on the holder's behalf), once, whichever
    replica runs it; the fake clock (bot.clock.utcnow) moves time, nothing sleeps."""
    from bot.scheduler import ABSENCE_JOB, build_scheduler, start_absences

    now = [utcnow()]
    monkeypatch.setattr("bot.clock.utcnow", lambda: now[0])
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    reply = await bot.say("zhangming", f"请假 {_days(1)} {_days(2)} 赵磊")
    assert "代理人 赵磊" in reply and "已转给代理人" not in reply
    assert await start_absences(bot.settings, bot.dispatcher.feed) == 0
    assert (await _step()).assignee_id == "zhangming"  # type: ignore[attr-defined]

    tz = bot.settings.tz
    tomorrow = datetime.fromisoformat(_days(1)).replace(hour=0, minute=1, tzinfo=tz)
    now[0] = tomorrow.astimezone(UTC)
    assert await start_absences(bot.settings, bot.dispatcher.feed) == 1
    await bot.sender.flush()
    step = await _step()
    assert (step.assignee_id, step.on_behalf_of) == ("zhaolei", "zhangming")  # type: ignore[attr-defined]
    assert step.held_since() == now[0]
    card = await bot.live_card("zhaolei")
    assert "代 张明" in dict(map(tuple, card["fields"]))["当前办理"]  # type: ignore[arg-type]
    assert "已有 1 件待审稿件转给您" in (await bot.texts("zhaolei"))[-1]
    assert "请假已开始" in (await bot.texts("zhangming"))[-1]
    assert (await bot.cards("zhangming"))[-1]["status"].startswith("请假期间由代理人办理")

    # once: the same replica again, a second replica, and a replay of the event
    assert await start_absences(bot.settings, bot.dispatcher.feed) == 0
    other = Harness(bot.settings)
    assert await start_absences(bot.settings, other.dispatcher.feed) == 0
    await ReminderLog.filter(kind="away").delete()
    assert await start_absences(bot.settings, other.dispatcher.feed) == 0  # the event id
    assert await AuditEvent.filter(action="review.deputy").count() == 1
    # the job runs on the reminder scan's interval
    scheduler = build_scheduler(bot.settings, lambda: None, feed=bot.dispatcher.feed)
    assert scheduler.get_job(ABSENCE_JOB).trigger.interval == timedelta(
        seconds=bot.settings.reminder_scan_seconds)

    await bot.say("lisi", OTHER)  # while away, a new step goes to the deputy too
    second = await _step(2)
    assert (second.assignee_id, second.on_behalf_of) == ("zhaolei", "zhangming")  # type: ignore[attr-defined]


async def test_todo_and_the_page_say_who_holds_it_for_whom(bot: Harness) -> None:
    """待办 lists, for the absent person, the steps a deputy holds on their behalf; the
    draft's page says who holds the open step, since when, for whom, and its moves."""
    from handlers.review.page import draft_view

    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    await bot.say("wangwu", "催办 #1")
    await bot.say("zhangming", f"请假 {_days(0)} {_days(2)} 赵磊")
    todo = await bot.say("zhangming", "待办")
    assert "请假期间由代理人代办（1）" in todo and "#1《秋季旅游节开幕》" in todo
    assert "赵磊 · 自 " in todo and "代 张明" in todo
    draft = await Draft.get(id=1)
    view = await draft_view(draft, bot.dispatcher.policy, bot.settings.tz, utcnow())
    assert view.holder.startswith("二审二校 · 赵磊 · 自 ") and view.holder.endswith("代 张明")
    assert any("催办" in m for m in view.moves) and any("代理人 赵磊" in m for m in view.moves)
    await bot.say("zhaolei", "通过 #1")
    assert "代理人代办" not in await bot.say("zhangming", "待办")



async def test_the_receipt_card_carries_nudge_and_withdraw(bot: Harness) -> None:
    """issue 20 on cards: the author's receipt is a card with 催办 and 撤回, each the same
    as its command; once the version leaves review the receipt goes grey, and a stale tap
    is answered and changes nothing."""
    await bot.say("wangwu", DRAFT)
    receipt = await bot.live_card("wangwu")
    assert receipt["title"] == "稿件 #1《秋季旅游节开幕》已送审"
    assert "已送 张明 二审二校" in receipt["body_md"]
    assert [b["label"] for b in receipt["buttons"]] == ["催办", "撤回"]
    assert [b["command"] for b in receipt["buttons"]] == ["催办 #1", "撤回 #1"]
    assert "只有稿件 #1 的起草人可以催办" in await bot.tap("lisi", bot.key(receipt, "催办"))
    assert "已提醒 张明" in await bot.tap("wangwu", bot.key(receipt, "催办"))
    assert "【催办】" in (await bot.texts("zhangming"))[-1]
    assert "刚催办过" in await bot.tap("wangwu", bot.key(receipt, "催办"))
    assert "刚催办过" in await bot.say("wangwu", "催办 #1")  # one period for both

    assert "起草人可以撤回" in await bot.tap("zhangming", bot.key(receipt, "撤回"))
    assert "已撤回" in await bot.tap("wangwu", bot.key(receipt, "撤回"))
    assert (await Draft.get(id=1)).state == DraftState.WITHDRAWN
    closed = (await bot.cards("wangwu"))[0]
    assert closed["buttons"] == [] and closed["status"].startswith("已撤回 · 起草人 王五")
    assert (await bot.cards("zhangming"))[-1]["status"].startswith("已撤回")
    assert "不在审核中" in await bot.tap("wangwu", bot.key(receipt, "撤回"))
    assert "不在审核中" in await bot.tap("wangwu", bot.key(receipt, "催办"))
    assert (await _actions()).count("review.withdrawn") == 1

    # a new version: a new receipt; the old one's keys are stale (another version)
    await bot.say("wangwu", "修改 #1\n秋季旅游节开幕（更新）\n10月2日开幕。")
    second = await bot.live_card("wangwu")
    assert second["title"] == "稿件 #1《秋季旅游节开幕（更新）》第 2 版已送审"
    assert "此卡片已失效" in await bot.tap("wangwu", bot.key(receipt, "撤回"))
    assert (await Draft.get(id=1)).state == DraftState.REVIEWING
    await bot.say("zhangming", "退回 #1 日期有误")
    assert (await bot.cards("wangwu"))[-1]["status"].startswith("已退回 · 张明")


async def test_handover_from_the_review_card(bot: Harness) -> None:
    """issue 20 on cards: 转交 on the review card brings the people who may take the step
    (R-REV-3: not the author, not another level's decider, not someone away); a tap on one
    is `转交 #N 人员`; the old cards go grey and a stale tap changes nothing."""
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    await Person.create(id="hanmei", name="韩梅", unit_id="qj-wlw", roles=["reviewer"])
    card = await bot.live_card("zhangming")
    assert [b["label"] for b in card["buttons"]] == ["通过", "退回", "转交"]
    handover = next(b for b in card["buttons"] if b["label"] == "转交")
    assert handover["secondary"] and handover["command"] == "转交 #1 人员 理由"
    assert "当前环节的审核人可以转交" in await bot.tap("lisi", handover["key"])
    assert "当前环节的审核人可以转交" in await bot.tap("wangwu", handover["key"])
    await bot.say("hanmei", f"请假 {_days(0)} {_days(1)}")
    await bot.tap("zhangming", handover["key"])
    people = await bot.live_card("zhangming")
    assert people["title"] == "转交稿件 #1"
    assert [b["label"] for b in people["buttons"]] == ["赵磊"]  # not 王五, not 韩梅 (away)
    assert people["buttons"][0]["command"] == "转交 #1 赵磊"
    assert "当前环节的审核人可以转交" in await bot.tap("lisi", bot.key(people, "赵磊"))

    assert "转交给 赵磊" in await bot.tap("zhangming", bot.key(people, "赵磊"))
    step = await _step()
    assert step.assignee_id == "zhaolei"  # type: ignore[attr-defined]
    cards = await bot.cards("zhangming")  # the review card and the 转交 card: both grey
    assert [c["status"].split(" · ")[0] for c in cards] == ["已转交", "已转交"]
    assert "张明 于" in (await bot.live_card("zhaolei"))["body_md"]
    assert "此卡片已失效" in await bot.tap("zhangming", bot.key(people, "赵磊"))
    assert "此卡片已失效" in await bot.tap("zhangming", handover["key"])
    assert (await AuditEvent.filter(action="review.handover").count()) == 1

    # 赵磊 decides level 2; at level 3 nobody else holds the role: the tap says so
    await bot.say("zhaolei", "通过 #1")
    third = await bot.live_card("liufang")
    reply = await bot.tap("liufang", bot.key(third, "转交"))
    assert "没有可以转交的人" in reply and "改派 #1" in reply
    assert (await _step()).assignee_id == "liufang"  # type: ignore[attr-defined]
