"""The reminder engine, driven only through the scan's `now` (and `govmedia remind --now`).

Dates are in November 2025 (Asia/Shanghai): Nov 3, 10, 17 are Mondays; Nov 8–9 and
15–16 are weekends. Kind tests scan at 08:45, after working hours begin and before the
09:00 digests, so each message holds exactly the reminder under test.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.channels.sim import inbound as sim
from bot.config import Settings
from bot.policy import load_policy
from bot.scheduler import run_scan
from models.deadlines import Deadline
from models.org import Account, Person, Unit
from models.relay import RelayTarget, RelayTask
from models.reminders import ReminderLog
from models.review import Draft, ReviewStep
from models.system import AuditEvent, Outbox
from tests import databases
from tests.conftest import Harness

TZ = ZoneInfo("Asia/Shanghai")
LEADERS = {"zhangming", "chenwei"}  # 黔江文旅's unit: reviewer and chief
DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"
AUDIT_HEAD = "【审计链头"


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2025) -> datetime:
    """Office time, as UTC: the database holds UTC (bot.clock), as in production."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def only(*names: str, updated: datetime, changed: datetime) -> None:
    """Every account updated/password-changed at the given times; all but `names` suspended."""
    await Account.all().update(last_update_at=updated, password_changed_at=changed,
                               created_at=updated)
    await Account.exclude(name__in=names).update(status="suspended")


async def scan(bot: Harness, when: datetime) -> dict[str, str]:
    """Run one scan; return the new message per person (and check there is one each)."""
    last = await Outbox.all().order_by("-id").first()
    await run_scan(bot.settings, when)
    rows = await Outbox.filter(id__gt=last.id if last else 0).order_by("id")
    await bot.sender.flush()
    messages: dict[str, str] = {}
    for row in rows:
        assert row.user_id not in messages, f"{row.user_id} got two messages in one scan"
        if row.payload["text"].startswith(AUDIT_HEAD):
            continue  # the weekly audit head alone (tests/test_audit.py checks it)
        messages[row.user_id] = row.payload["text"]
    return messages


async def test_stale_account_ladder(bot: Harness) -> None:
    """rule R-UPD-1 (7 days) and R-UPD-5 (14 days): admins, then leaders, then supervisor."""
    await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    assert await scan(bot, at(11, 8, 10)) == {}  # Saturday: it waits for a workday
    before = await scan(bot, at(11, 10, 8, 35))
    assert set(before) == {"wangwu"} and "黔江文旅（微信订阅号）" in before["wangwu"]
    assert "须每 7 天至少更新一次" in before["wangwu"]
    due = await scan(bot, at(11, 10, 8, 45))
    assert set(due) == {"wangwu"} and "已到 7 天的更新期限" in due["wangwu"]
    overdue = await scan(bot, at(11, 11, 8, 45))
    assert set(overdue) == {"wangwu"} | LEADERS and "管理员：王五" in overdue["chenwei"]
    veto = await scan(bot, at(11, 17, 8, 45))
    assert set(veto) == {"wangwu", "zhaoqiang"} | LEADERS
    assert "单项否决" in veto["zhaoqiang"] and "已 14 天未更新" in veto["zhaoqiang"]
    assert await scan(bot, at(11, 17, 8, 45)) == {}  # the same time again: nothing
    assert await scan(bot, at(11, 17, 8, 46)) == {}
    assert await ReminderLog.filter(kind="stale").count() == 4


async def test_video_limit_and_profile(bot: Harness) -> None:
    """rule R-UPD-2: video accounts get 10 days; rule R-UPD-3: 黔江 gives 10 days only to
    accounts whose platform limits posting (tests/test_update_rules.py): a 微信订阅号 keeps
    the inherited 7 days and is counted per week."""
    await only("清新黔江", "黔江文旅", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    first = await scan(bot, at(11, 10, 8, 45))
    assert set(first) == {"wangwu"}  # 黔江文旅 (text) is due; 清新黔江 (video) is not yet
    assert "清新黔江" in (await scan(bot, at(11, 11, 8, 45)))["lisi"]  # day 8 of 10
    qianjiang = Harness(dataclasses.replace(bot.settings, policy="qianjiang"))
    await ReminderLog.all().delete()
    again = await scan(qianjiang, at(11, 10, 8, 45))
    assert "已到 7 天的更新期限" in again["wangwu"]  # not 10: no platform limit on it


async def test_suspended_accounts_are_left_alone(bot: Harness) -> None:
    await only("黔江文旅", updated=at(10, 1, 9), changed=at(10, 1, 9))
    await Account.filter(name="黔江文旅").update(status="suspended")
    assert await scan(bot, at(11, 17, 10)) == {}


async def test_updating_starts_a_new_period(bot: Harness) -> None:
    """A publication moves last_update_at; the next stale spell is chased afresh."""
    await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    assert set(await scan(bot, at(11, 10, 8, 45))) == {"wangwu"}
    await Account.filter(name="黔江文旅").update(last_update_at=at(11, 10, 9))
    assert await scan(bot, at(11, 12, 8, 45)) == {}
    assert set(await scan(bot, at(11, 17, 9, 5))) >= {"wangwu"}  # due again from Nov 17 09:00


async def test_password_rotation_ladder(bot: Harness) -> None:
    """rule R-SEC-1: every 3 months; from 7 days before; leaders after 3 days overdue."""
    await only("黔江文旅", updated=at(11, 20, 9), changed=at(8, 4, 8, 40))
    before = await scan(bot, at(10, 28, 8, 45))
    assert set(before) == {"wangwu"} and "11月4日 前更换" in before["wangwu"]
    assert await scan(bot, at(10, 29, 8, 45)) == {}
    assert "已到更换期限" in (await scan(bot, at(11, 4, 8, 45)))["wangwu"]
    overdue = await scan(bot, at(11, 7, 8, 45))
    assert set(overdue) == {"wangwu"} | LEADERS


async def test_password_never_recorded_counts_from_registration(bot: Harness) -> None:
    await only("黔江文旅", updated=at(11, 20, 9), changed=at(8, 4, 8, 40))
    await Account.filter(name="黔江文旅").update(password_changed_at=None,
                                                 created_at=at(8, 4, 8, 40))
    assert "11月4日 前更换" in (await scan(bot, at(10, 28, 8, 45)))["wangwu"]


async def test_password_changed_records_date_and_closes_deadline(bot: Harness) -> None:
    """rule R-SEC-1 / R-SEC-3: 已改密 records who and when and closes the deadline row."""
    await only("清新黔江", updated=at(11, 20, 9), changed=at(8, 4, 8, 40))
    unit = await Unit.get(id="qj-wlw")
    account = await Account.get(name="清新黔江")
    await Deadline.create(kind="password_change", rule="R-SEC-3", unit=unit, account=account,
                          subject="staff:1", title="人员变动后更换密码", due_at=at(11, 5, 18))
    reply = await bot.say("lisi", "已改密 清新黔江")
    assert "已登记" in reply and "李四" in reply
    account = await Account.get(name="清新黔江")
    assert account.password_changed_at is not None
    deadline = await Deadline.get(subject="staff:1")
    assert deadline.done_at is not None and deadline.done_by == "lisi"
    assert await scan(bot, at(11, 7, 8, 45)) == {}


async def test_password_in_chat_is_refused_and_not_stored(bot: Harness) -> None:
    """rule R-SEC-4: a message that looks like a password is refused; nothing keeps it."""
    for text in ("已改密 黔江文旅 新密码 Qj@2025abc", "已改密 黔江文旅 Qj@2025abc",
                 "已改密 黔江文旅\nQj@2025abc", "已改密 黔江文旅 password: hunter22"):
        reply = await bot.say("wangwu", text)
        assert "请不要在聊天中发送密码" in reply
    assert (await Account.get(name="黔江文旅")).password_changed_at is None
    stored = [str(r.payload) for r in await Outbox.all()]
    stored += [f"{r.action} {r.data}" for r in await AuditEvent.all()]
    assert not any("Qj@2025abc" in s or "hunter22" in s for s in stored)


async def test_password_bad_input(bot: Harness) -> None:
    assert "不是黔江文旅（微信订阅号）的管理员" in await bot.say("lisi", "已改密 黔江文旅")
    assert "没有找到账号" in await bot.say("wangwu", "已改密 黔江旅游")
    assert "已改密 账号名" in await bot.say("wangwu", "已改密")
    assert (await Account.get(name="黔江文旅")).password_changed_at is None


async def relay_at(bot: Harness, received: datetime, text: str) -> str:
    """`转载 …` from the supervisor, received at a chosen time (the channel stamps it)."""
    event = dataclasses.replace(sim.text_event("zhaoqiang", text), received_at=received)
    before = await bot._last_id("zhaoqiang")
    await bot.dispatcher.feed(event)
    await bot.sender.flush()
    return await bot.reply_after("zhaoqiang", before)


async def test_relay_task_ladder_at_any_hour(bot: Harness) -> None:
    """rule R-RLY-1: due 12 hours after receipt; urgent, so Sunday 07:00 is fine."""
    await only(updated=at(11, 7, 9), changed=at(11, 7, 9))
    reply = await relay_at(bot, at(11, 8, 22), "转载 https://www.gov.cn/xinwen/a.html 国务院通知")
    assert "已下发转载任务 1" in reply and "10 个单位" in reply and "11月9日 10:00" in reply
    assert "请转载《国务院通知》" in (await bot.texts("wangwu"))[-1]
    assert "任务：1" in (await bot.texts("sunli"))[-1]  # rule R-REV-1: through review
    assert await RelayTarget.filter(task_id=1).count() == 10
    assert await scan(bot, at(11, 9, 6, 59)) == {}
    before = await scan(bot, at(11, 9, 7, 0))  # Sunday morning
    assert {"wangwu", "lisi", "zhangming", "sunli", "zhaoqiang"} == set(before)
    assert "须在 11月9日 10:00 前转载" in before["sunli"]
    # eight units have nobody registered: the supervisor hears of them, in one message
    assert before["zhaoqiang"].count("转载任务 1") == 8
    await bot.say("wangwu", "投稿 黔江文旅\n任务：1\n国务院通知\n全文转载。")
    await bot.say("zhangming", "通过 #1")
    await bot.say("liufang", "通过 #1")
    assert "已登记" in await bot.say("wangwu", "已发布 #1 https://mp.weixin.qq.com/s/relay")
    due = await scan(bot, at(11, 9, 10, 1))
    assert {"sunli", "zhoujun", "zhengyu"} <= set(due) and "wangwu" not in due
    escalated = await scan(bot, at(11, 9, 12, 5))
    assert {"sunli", "zhoujun", "zhengyu", "zhaoqiang"} <= set(escalated)
    assert "超期未完成：黔江区公安局" in escalated["zhaoqiang"]
    assert await scan(bot, at(11, 9, 12, 5)) == {}


async def test_relay_notifies_the_contacts_it_read_without_a_lookup_each(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """A province's relay notifies thousands: each contact is the Person the handler read with
    its unit's people, not looked up again by id (a pass over every person the event read)."""
    from bot import dispatcher

    looked_up: list[str] = []
    lookup = dispatcher.person_by_id

    async def counted(person_id: str) -> Person | None:
        looked_up.append(person_id)
        return await lookup(person_id)

    monkeypatch.setattr(dispatcher, "person_by_id", counted)
    reply = await relay_at(bot, at(11, 10, 10), "转载 https://www.gov.cn/xinwen/b.html 通知")
    assert "已下发转载任务 1" in reply
    assert "请转载《通知》" in (await bot.texts("wangwu"))[-1]
    assert looked_up == []


def verbatim_bot(backend: str, tmp_path: Path) -> Harness:
    """A profile that allows `已转载` for verbatim relays of allow-listed sources."""
    path = tmp_path / "verbatim.toml"
    path.write_text('extends = "default"\nname = "verbatim"\n[relay]\n'
                    'verbatim_without_review = true\n', encoding="utf-8")
    load_policy.cache_clear()
    return Harness(Settings(database_url=databases.URLS[backend], outbox_poll_seconds=0.05,
                            policy=str(path)))


async def test_relay_closes_without_review_only_where_the_profile_allows(bot: Harness) -> None:
    """rule R-REV-1: no seed exempts relays from 先审后发; `已转载` is refused by default,
    nothing recorded, and the answer says how to close the task through review."""
    await relay_at(bot, at(11, 10, 9), "转载 https://www.gov.cn/b.html")
    reply = await bot.say("sunli", "已转载 1 https://weibo.com/x")
    assert "先审后发" in reply and "任务：1" in reply and "未作任何登记" in reply
    assert not await RelayTarget.exists(task_id=1, done_at__isnull=False)
    assert "已转载 1" not in (await bot.texts("sunli"))[0]


async def test_relay_progress_and_bad_input(db: None, backend: str, tmp_path: Path) -> None:
    bot = verbatim_bot(backend, tmp_path)
    await relay_at(bot, at(11, 10, 9), "转载 https://www.gov.cn/b.html")
    assert "已转载 1" in (await bot.texts("sunli"))[-1]
    assert "已登记：转载任务 1" in await bot.say("sunli", "已转载 1 https://weibo.com/x")
    progress = await bot.say("zhaoqiang", "转载进度 1")
    assert "已完成（1）" in progress and "黔江区公安局" in progress and "孙丽" in progress
    assert "未完成（9）" in progress and "黔江区文化和旅游发展委员会" in progress
    assert "已于" in await bot.say("sunli", "已转载 1 https://weibo.com/y")  # closed
    assert "没有编号为 9 的转载任务" in await bot.say("sunli", "已转载 9 https://weibo.com/y")
    assert "已转载 任务号 文章网址" in await bot.say("sunli", "已转载 1 不是网址")
    assert "只有主管单位" in await bot.say("wangwu", "转载 https://www.gov.cn/c.html")
    assert "http://" in await bot.say("zhaoqiang", "转载 www.gov.cn/c.html")
    assert "只有下发单位" in await bot.say("wangwu", "转载进度 1")
    assert await RelayTask.all().count() == 1
    target = await RelayTarget.get(task_id=1, unit_id="qj-gaj")
    assert target.url == "https://weibo.com/x" and target.done_by == "sunli"


async def test_publishing_a_linked_draft_closes_the_relay(bot: Harness) -> None:
    """`任务：N` on a draft; 已发布 closes the unit's share (R-RLY-1) with the source (R-RLY-2)."""
    await relay_at(bot, at(11, 10, 9), "转载 https://www.gov.cn/d.html 重要会议")
    reply = await bot.say("wangwu", "投稿 黔江文旅\n任务：1\n重要会议\n全文转载。")
    assert "#1" in reply
    await bot.say("zhangming", "通过 #1")
    await bot.say("liufang", "通过 #1")
    await bot.say("wangwu", "已发布 #1 https://mp.weixin.qq.com/s/d")
    target = await RelayTarget.get(task_id=1, unit_id="qj-wlw")
    assert target.done_at is not None and target.draft_id == 1
    assert (await Draft.get(id=1)).repost_url == "https://www.gov.cn/d.html"
    assert "没有派给" in await bot.say("wangwu", "投稿 黔江文旅\n任务：1\n再转\n正文。")


async def test_linking_a_task_on_revision_takes_its_source(bot: Harness) -> None:
    """`修改 #N` with `任务：N`: the task's commercial source sends the final level to the
    chief (rule R-REV-4), as it would on 投稿, and the audit record keeps the link."""
    await relay_at(bot, at(11, 10, 9), "转载 https://www.evil-commercial.com/d.html 通知")
    await bot.say("wangwu", "投稿 黔江文旅\n原创稿\n正文。")
    await bot.say("zhangming", "退回 #1 请关联转载任务")
    await bot.say("wangwu", "修改 #1\n任务：1\n转载通知\n全文转载。")
    await bot.say("zhangming", "通过 #1")
    step = await ReviewStep.get(draft_id=1, version=2, level=3)
    assert (step.role, step.assignee_id) == ("chief", "chenwei")  # type: ignore[attr-defined]
    assert (await Draft.get(id=1)).repost_url == "https://www.evil-commercial.com/d.html"
    revised = await AuditEvent.filter(action="draft.revised").first()
    assert revised is not None and '"relay_task":1' in revised.data


async def test_repost_option_line_still_works_in_drafts(bot: Harness) -> None:
    """`转载：` inside 投稿 is an option line, not the relay command."""
    reply = await bot.say("wangwu", "投稿 黔江文旅\n转载：https://www.gov.cn/e.html\n标题\n正文。")
    assert "#1" in reply
    assert (await Draft.get(id=1)).repost_url == "https://www.gov.cn/e.html"
    assert await RelayTask.all().count() == 0


async def test_late_review_counts_working_hours_and_escalates(bot: Harness) -> None:
    """A step waiting 4 working hours → the assignee; 8 → the next level up (R-REV-3 ladder)."""
    await only(updated=at(11, 20, 9), changed=at(11, 20, 9))
    await bot.say("wangwu", DRAFT)
    await ReviewStep.filter(decision__isnull=True).update(created_at=at(11, 10, 16))
    assert await scan(bot, at(11, 10, 20)) == {}  # evening: 2 working hours, and quiet
    digest = await scan(bot, at(11, 11, 9))  # the day's digests go out; not late yet
    assert "今日汇总" in digest["zhangming"] and "工作小时" not in digest["zhangming"]
    assert await scan(bot, at(11, 11, 10)) == {}  # 3.5 working hours
    late = await scan(bot, at(11, 11, 10, 35))
    assert set(late) == {"zhangming"} and "稿件 #1《秋季旅游节开幕》" in late["zhangming"]
    escalated = await scan(bot, at(11, 11, 14, 35))
    assert set(escalated) == {"zhangming", "liufang"}  # liufang: 分管负责人, one level up
    assert "等待 张明 审核" in escalated["liufang"]
    # 张明 is told it waits for him, never asked to chase himself
    assert "督促" not in escalated["zhangming"] and "等您审核" in escalated["zhangming"]
    assert await scan(bot, at(11, 11, 14, 40)) == {}


async def test_filing_deadline_ladder_defers_to_workdays(bot: Harness) -> None:
    """Registry deadlines (R-ACC-2): admins, leaders, then the supervisor; Sunday waits."""
    await only("黔江文旅", updated=at(11, 20, 9), changed=at(11, 20, 9))
    await Deadline.create(kind="announce", rule="R-ACC-2", unit_id="qj-wlw",
                          account=await Account.get(name="黔江文旅"), subject="filing:1",
                          title="黔江文旅变更公示", due_at=at(11, 13, 17))
    assert await scan(bot, at(11, 11, 16, 59)) == {}
    assert set(await scan(bot, at(11, 11, 17))) == {"wangwu"}
    assert "已到期限" in (await scan(bot, at(11, 13, 17)))["wangwu"]
    assert set(await scan(bot, at(11, 14, 17))) == {"wangwu"} | LEADERS
    assert await scan(bot, at(11, 16, 17)) == {}  # Sunday: escalation waits
    monday = await scan(bot, at(11, 17, 8, 45))
    assert set(monday) == {"wangwu", "zhaoqiang"} | LEADERS
    assert "黔江文旅变更公示" in monday["zhaoqiang"]
    await Deadline.filter(subject="filing:1").update(done_at=at(11, 17, 9))
    assert await scan(bot, at(11, 20, 9)) == {}


async def test_outage_sends_each_reminder_once(bot: Harness) -> None:
    """Three days down: the next scan sends the highest stage once; later minutes nothing."""
    await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(8, 10, 8, 40))
    before = await scan(bot, at(11, 7, 8, 45))
    assert set(before) == {"wangwu"} and "密码须在 11月10日 前更换" in before["wangwu"]
    await relay_at(bot, at(11, 9, 20), "转载 https://www.gov.cn/f.html 通知")
    caught_up = await scan(bot, at(11, 10, 8, 45))  # relay overdue, stale due, password due
    text = caught_up["wangwu"]
    assert "已到 7 天的更新期限" in text and "须每 7 天" not in text  # only the highest stage
    assert "密码已到更换期限" in text
    assert "转载任务 1《通知》已过 11月10日 08:00 的期限" in text
    assert text.count("\n- ") == 3  # one message, three lines
    for minute in range(46, 50):
        assert await scan(bot, at(11, 10, 8, minute)) == {}


async def test_clock_going_backwards_sends_nothing_again(bot: Harness) -> None:
    await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    assert set(await scan(bot, at(11, 17, 8, 45))) >= {"zhaoqiang"}
    assert await scan(bot, at(11, 10, 8, 45)) == {}  # earlier: a lower stage, already passed
    assert await scan(bot, at(11, 11, 8, 45)) == {}


async def test_daily_and_weekly_digests(bot: Harness) -> None:
    """Workdays at 09:00: each unit's reviewers daily, supervisors weekly (Monday)."""
    await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(8, 20, 9))
    await bot.say("wangwu", DRAFT)
    await ReviewStep.filter(decision__isnull=True).update(created_at=at(11, 17, 8, 50))
    await relay_at(bot, at(11, 17, 8, 0), "转载 https://www.gov.cn/g.html 通知")
    await scan(bot, at(11, 17, 8, 45))  # reminders first
    digest = await scan(bot, at(11, 17, 9, 0))
    assert set(digest) == {"zhangming", "zhoujun", "zhaoqiang"}
    daily = digest["zhangming"]
    assert "黔江区文化和旅游发展委员会 · 今日汇总" in daily
    assert "黔江文旅（微信订阅号） 14 天" in daily and "任务 1《通知》" in daily
    assert "#1《秋季旅游节开幕》二审二校·张明" in daily and "待更换密码（1）" in daily
    weekly = digest["zhaoqiang"]
    assert "本周汇总" in weekly
    assert "黔江区文化和旅游发展委员会：临近或超过更新期限 1 个账号" in weekly
    assert await scan(bot, at(11, 17, 9, 1)) == {}
    tuesday = await scan(bot, at(11, 18, 9, 0))  # daily again (with the day's reminders)
    assert "今日汇总" in tuesday["zhangming"] and "今日汇总" in tuesday["zhoujun"]
    assert "本周汇总" not in tuesday["zhaoqiang"]  # weekly: once a week


async def test_digests_skip_days_off(bot: Harness) -> None:
    await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    assert await scan(bot, at(11, 15, 9, 0)) == {}  # Saturday


async def test_reminder_settings_explain_what_and_why(bot: Harness) -> None:
    text = await bot.say("wangwu", "提醒设置")
    assert "黔江文旅（微信订阅号）（您是管理员）" in text and "超过 7 天未更新" in text
    assert "升级提醒不能关闭" in text and "08:30–18:00" in text
    supervisor = await bot.say("zhaoqiang", "提醒设置")
    assert "14 天未更新（检查单项否决）" in supervisor and "下属单位汇总" in supervisor
    reviewer = await bot.say("zhangming", "提醒设置")
    assert "09:00 本单位汇总" in reviewer and "4.0 个工作小时" in reviewer


async def test_two_replicas_claim_each_reminder_once(bot: Harness) -> None:
    """Two scans racing at the same moment: the unique key lets one of them send."""
    import asyncio

    await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    await asyncio.gather(run_scan(bot.settings, at(11, 10, 8, 45)),
                         run_scan(bot.settings, at(11, 10, 8, 45)))
    assert await Outbox.filter(user_id="wangwu").count() == 1


def test_remind_cli(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`govmedia remind --now`: runs the scan; a malformed time is a clear error."""
    import asyncio

    from bot import demo
    from bot.cli import main
    from bot.db import close_db, init_db

    url = f"sqlite://{tmp_path / 'cli.db'}"

    async def prepare() -> None:
        await init_db(url)
        await demo.seed_if_empty()
        await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
        await close_db()

    async def outbox_users() -> list[str]:
        await init_db(url)
        users = [r.user_id for r in await Outbox.all()]
        await close_db()
        return users

    asyncio.run(prepare())
    env = {"GOVMEDIA_DATABASE_URL": url}
    assert main(["remind", "--now", "2025-11-10T08:45"], env) == 0
    assert "新记录 1 条，发出消息 1 条" in capsys.readouterr().out
    assert main(["remind", "--now", "2025-11-10T08:45:00+08:00"], env) == 0
    assert "新记录 0 条" in capsys.readouterr().out
    assert main(["remind", "--now", "2025-11-08T23:00"], env) == 0
    assert "不是工作时间" in capsys.readouterr().out
    assert main(["remind", "--now", "yesterday"], env) == 2
    assert "时间格式有误：“yesterday”" in capsys.readouterr().err
    assert asyncio.run(outbox_users()) == ["wangwu"]


def test_settings_validate_scan_interval() -> None:
    from bot.config import load_settings
    from bot.errors import ConfigError

    assert load_settings(None, {"GOVMEDIA_SCHEDULER_ENABLED": "false"}).scheduler_enabled is False
    with pytest.raises(ConfigError, match="reminder_scan_seconds"):
        load_settings(None, {"GOVMEDIA_REMINDER_SCAN_SECONDS": "0"})


async def test_scheduler_has_the_scan_job(settings: Settings) -> None:
    from bot.scheduler import SCAN_JOB, build_scheduler

    scheduler = build_scheduler(settings, lambda: None)
    # the other job prunes what the boundary remembers (bot/housekeeping.py)
    assert [job.id for job in scheduler.get_jobs()] == [SCAN_JOB, "housekeeping"]
    assert scheduler.get_job(SCAN_JOB).trigger.interval == timedelta(seconds=60)


async def test_verbatim_closing_needs_an_allow_listed_source(db: None, backend: str,
                                                             tmp_path: Path) -> None:
    """rule R-REV-4: even where `已转载` is allowed, a commercial source goes through review."""
    bot = verbatim_bot(backend, tmp_path)
    await relay_at(bot, at(11, 10, 9), "转载 https://www.evil-commercial.com/d.html 通知")
    assert "任务：1" in (await bot.texts("sunli"))[-1]
    reply = await bot.say("sunli", "已转载 1 https://weibo.com/x")
    assert "不在党政机关和主流媒体名单内" in reply
    assert not await RelayTarget.exists(task_id=1, done_at__isnull=False)
