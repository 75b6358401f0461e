"""An absence registered ahead begins on the scheduler (issue 20): its steps go to the deputy
only if the deputy may hold them (the check every move makes, R-REV-3), else where routing
sends a new step; the reminder-log row is the only gate (a failure is tried again, two
replicas do it once); the record says the scheduler moved them (R-REV-5); 销假 counts only
what its own absence moved. Time moves by the fake clock (bot.clock.utcnow), nothing sleeps."""

from __future__ import annotations

import asyncio
import importlib
import json
from pathlib import Path
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import utcnow
from models.org import Person
from models.reminders import ReminderLog
from models.system import AuditEvent
from tests.conftest import Harness
from tests.test_approval_moves import DRAFT, _days, _second_reviewer, _step

away = importlib.import_module("handlers.review.away")


async def _registered_ahead(bot: Harness, monkeypatch: pytest.MonkeyPatch
                            ) -> tuple[list[datetime], datetime]:
    """赵磊 is a second reviewer, draft #1 waits for 张明, who registers 请假 for tomorrow
    with 赵磊 as deputy; the clock, and 00:01 tomorrow (UTC) when the absence begins."""
    now = [utcnow()]
    monkeypatch.setattr("bot.clock.utcnow", lambda: now[0])
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    assert "代理人 赵磊" in await bot.say("zhangming", f"请假 {_days(1)} {_days(2)} 赵磊")
    tomorrow = datetime.fromisoformat(_days(1)).replace(hour=0, minute=1, tzinfo=bot.settings.tz)
    return now, tomorrow.astimezone(UTC)


async def _start(bot: Harness, feed: Callable[..., Any] | None = None) -> int:
    from bot.scheduler import start_absences

    return await start_absences(bot.settings, feed or bot.dispatcher.feed)


async def test_a_deputy_away_when_it_begins_gets_nothing(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """赵磊 registers his own 请假 covering tomorrow after being named deputy: when 张明's
    absence begins the step does not go to him (moves.target_away) but where routing sends
    a new step (no other reviewer present: up the ladder), and 张明 is told so."""
    now, begins = await _registered_ahead(bot, monkeypatch)
    assert "请假" in await bot.say("zhaolei", f"请假 {_days(0)} {_days(3)}")
    now[0] = begins
    assert await _start(bot) == 1
    step = await _step()
    assert step.assignee_id not in ("zhaolei", "zhangming")  # type: ignore[attr-defined]
    assert step.assignee_id == "liufang"  # type: ignore[attr-defined]  # the ladder
    assert step.on_behalf_of is None  # type: ignore[attr-defined]
    assert step.moves[-1]["kind"] == "away"  # type: ignore[attr-defined]
    await bot.sender.flush()
    reply = (await bot.texts("zhangming"))[-1]
    assert "请假已开始" in reply and "1 件待审稿件代理人无法办理" in reply, reply
    assert "已转给代理人" not in reply
    assert await AuditEvent.filter(action="review.away").count() == 1
    assert not await AuditEvent.filter(action="review.deputy").exists()
    assert await _start(bot) == 0  # done once


async def test_a_deputy_who_left_gets_nothing_and_the_job_does_not_loop(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deputy was deactivated before the absence began: the step goes past them, and
    the absence's row is written, so the next scans feed nothing (no event every minute)."""
    now, begins = await _registered_ahead(bot, monkeypatch)
    await Person.filter(id="zhaolei").update(active=False)
    now[0] = begins
    assert await _start(bot) == 1
    assert (await _step()).assignee_id == "liufang"  # type: ignore[attr-defined]
    assert await ReminderLog.filter(kind="away").count() == 1
    for minute in range(2, 5):
        now[0] = begins + timedelta(minutes=minute)
        assert await _start(bot) == 0


async def test_a_transient_failure_is_tried_again_on_the_next_scan(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event fails once (a dropped connection, say): its transaction, the absence's row
    with it, rolls back, and the next scan offers the steps (its own event id)."""
    now, begins = await _registered_ahead(bot, monkeypatch)
    real = away._deputy_steps
    calls = [0]

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise ConnectionResetError("db connection dropped")
        return await real(*args, **kwargs)

    monkeypatch.setattr(away, "_deputy_steps", flaky)
    now[0] = begins
    await _start(bot)
    assert (await _step()).assignee_id == "zhangming"  # type: ignore[attr-defined]
    assert not await ReminderLog.filter(kind="away").exists()
    now[0] = begins + timedelta(minutes=1)
    assert await _start(bot) == 1
    step = await _step()
    assert (step.assignee_id, step.on_behalf_of) == ("zhaolei", "zhangming")  # type: ignore[attr-defined]
    assert calls[0] == 2
    for minute in range(2, 5):  # and then never again
        now[0] = begins + timedelta(minutes=minute)
        assert await _start(bot) == 0
    assert await AuditEvent.filter(action="review.deputy").count() == 1


async def test_a_lasting_failure_is_logged_and_tried_again_not_answered_in_chat(
        bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The scheduler's event fails scan after scan: nobody sent it, so the absent person is
    not sent an internal-error message every minute; each failure is logged and the next
    scan tries again (its own event id), until it succeeds."""
    now, begins = await _registered_ahead(bot, monkeypatch)
    await bot.sender.flush()
    before = len(await bot.texts("zhangming"))
    real = away._deputy_steps
    broken = [True]

    async def failing(*args: Any, **kwargs: Any) -> Any:
        if broken[0]:
            raise RuntimeError("broken")
        return await real(*args, **kwargs)

    monkeypatch.setattr(away, "_deputy_steps", failing)
    for minute in range(3):
        now[0] = begins + timedelta(minutes=minute)
        await _start(bot)
    await bot.sender.flush()
    assert len(await bot.texts("zhangming")) == before
    assert sum("handler failed" in r.getMessage() for r in caplog.records) == 3
    assert (await _step()).assignee_id == "zhangming"  # type: ignore[attr-defined]
    broken[0] = False
    now[0] = begins + timedelta(minutes=3)
    assert await _start(bot) == 1
    assert (await _step()).assignee_id == "zhaolei"  # type: ignore[attr-defined]


async def test_two_replicas_at_once_offer_the_steps_once(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two replicas' jobs, a second apart (so two event ids), both find the absence due
    before either handles it (they meet after reading): one claims the absence's row and
    moves the step, the other does nothing."""
    from bot import scheduler

    now, begins = await _registered_ahead(bot, monkeypatch)
    real = scheduler.due_starts
    met = asyncio.Barrier(2)

    async def meeting(moment: datetime) -> Any:
        due = await real(moment)
        await met.wait()
        return due

    monkeypatch.setattr(scheduler, "due_starts", meeting)
    other = Harness(bot.settings)
    now[0] = begins
    handled = await asyncio.gather(
        scheduler.start_absences(bot.settings, bot.dispatcher.feed, begins),
        scheduler.start_absences(bot.settings, other.dispatcher.feed,
                                 begins + timedelta(seconds=1)))
    assert handled == [1, 1]  # both events handled; one of them found the row claimed
    step = await _step()
    assert (step.assignee_id, step.on_behalf_of) == ("zhaolei", "zhangming")  # type: ignore[attr-defined]
    assert len(step.moves) == 1  # type: ignore[attr-defined]
    assert await AuditEvent.filter(action="review.deputy").count() == 1
    assert await AuditEvent.filter(action="person.away_began").count() == 1
    assert await ReminderLog.filter(kind="away").count() == 1


async def test_the_record_says_the_scheduler_moved_the_steps(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """rule R-REV-5: the scheduler moved the step on the absence's start, not the absent
    person: the audit chain's actor, the step's move and the review record say so, with the
    absence; a 请假 that starts at once is still the act of whoever registered it."""
    from bot.policy import load_policy
    from handlers.reports.record import load_record
    from models.org import Absence

    now, begins = await _registered_ahead(bot, monkeypatch)
    now[0] = begins
    assert await _start(bot) == 1
    absence = await Absence.get(person_id="zhangming")
    event = await AuditEvent.get(action="review.deputy")
    assert event.actor == "scheduler"
    assert json.loads(event.data)["absence"] == absence.id
    began = await AuditEvent.get(action="person.away_began")
    assert began.actor == "scheduler"
    move = (await _step()).moves[-1]  # type: ignore[attr-defined]
    assert (move["by"], move["absence"]) == ("scheduler", absence.id)
    record = await load_record(1, load_policy(bot.settings.policy), bot.settings.tz)
    assert [a.actor for a in record.audit if a.action == "review.deputy"] == ["系统（定时任务）"]

    await bot.say("zhangming", "销假")
    await bot.say("zhaolei", "转交 #1 张明")
    await bot.say("zhangming", f"请假 {_days(1)} {_days(2)} 赵磊")  # starts at once now
    event = (await AuditEvent.filter(action="review.deputy").order_by("-seq"))[0]
    assert event.actor == "zhangming"


async def test_calling_off_a_later_absence_claims_no_steps(bot: Harness) -> None:
    """销假 that calls off an absence not begun (no deputy, nothing moved) says nothing of
    steps held by a deputy (those an earlier absence moved stay out of it) and words the
    cancellation as one: new steps were never kept from the person."""
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", f"请假 {_days(0)} {_days(2)} 赵磊")
    reply = await bot.say("zhangming", "销假")
    assert "1 件稿件仍由代理人办理" in reply  # this absence moved it
    await bot.say("zhangming", f"请假 {_days(3)} {_days(4)}")
    reply = await bot.say("zhangming", "销假")
    assert f"已取消 张明 {_days(3)} 至 {_days(4)} 的请假（尚未开始）" in reply, reply
    assert "代理人" not in reply and "重新分给" not in reply, reply


async def test_ending_a_later_absence_counts_only_what_it_moved(bot: Harness) -> None:
    """An absence in progress ends: the steps an earlier absence moved (and its 销假 left
    with the deputy) are not counted as this one's."""
    await _second_reviewer()
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", f"请假 {_days(0)} {_days(2)} 赵磊")
    await bot.say("zhangming", "销假")
    assert (await _step()).on_behalf_of == "zhangming"  # type: ignore[attr-defined]
    await bot.say("zhangming", f"请假 {_days(0)} {_days(1)}")  # no deputy this time
    reply = await bot.say("zhangming", "销假")
    assert "的请假已结束" in reply and "转给代理人" not in reply, reply


def test_remind_begins_absences_at_the_real_time(backend: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`govmedia remind` runs both of the scheduler's jobs, but `--now` moves only the
    reminder scan: a real run at a time ahead leaves the step with the person, who is still
    at their desk. Once the absence has really begun, its step goes to the deputy (a dry
    run says so and moves nothing), once, whatever `--now` says. Found by review: a
    future `--now` began the absence early."""
    from bot import demo
    from bot.cli import main
    from bot.config import Settings
    from bot.db import close_db, init_db
    from models.review import ReviewStep
    from tests import databases

    url = f"sqlite://{tmp_path / 'a.db'}" if backend == "sqlite" else databases.URLS[backend]
    begins = datetime.fromisoformat(_days(1)).replace(hour=8, minute=45)
    real = begins.replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)

    async def prepare() -> None:
        await (init_db(url) if backend == "sqlite" else databases.open_clean(backend))
        try:
            await demo.seed_if_empty()
            bot = Harness(Settings(database_url=url, outbox_poll_seconds=0.05))
            await _second_reviewer()
            await bot.say("wangwu", DRAFT)
            assert "代理人 赵磊" in await bot.say("zhangming", f"请假 {_days(1)} {_days(2)} 赵磊")
        finally:
            await close_db()

    async def holder() -> tuple[str, str | None]:
        await init_db(url, generate_schemas=False)
        try:
            step = await ReviewStep.get(draft_id=1, level=2)
            return step.assignee_id, step.on_behalf_of  # type: ignore[attr-defined]
        finally:
            await close_db()

    asyncio.run(prepare())
    env = {"GOVMEDIA_DATABASE_URL": url}
    assert main(["remind", "--now", begins.isoformat(), "--dry-run"], env) == 0
    assert "已开始的请假" not in capsys.readouterr().out
    assert main(["remind", "--now", begins.isoformat()], env) == 0
    assert "已开始的请假" not in capsys.readouterr().out
    assert asyncio.run(holder()) == ("zhangming", None)
    monkeypatch.setattr("bot.clock.utcnow", lambda: real)  # the day comes
    assert main(["remind", "--dry-run"], env) == 0
    assert "已开始的请假 1 条" in capsys.readouterr().out
    assert asyncio.run(holder()) == ("zhangming", None)
    assert main(["remind", "--now", "2025-11-10T08:45"], env) == 0  # any time: the real one
    assert "已开始的请假 1 条" in capsys.readouterr().out
    assert asyncio.run(holder()) == ("zhaolei", "zhangming")
    monkeypatch.setattr("bot.clock.utcnow", lambda: real + timedelta(minutes=1))
    assert main(["remind"], env) == 0
    assert "已开始的请假" not in capsys.readouterr().out
