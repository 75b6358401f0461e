"""APScheduler 3.x inside the app: the reminder scan on an interval (DESIGN.md).

The scan is a plain async function (handlers/reminders/scan.py); `govmedia remind --now`
runs the same function once, which is how tests drive time. On the same interval, absences
registered ahead that have begun get their event through the dispatcher (start_absences).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import clock
from bot.clock import utcnow
from bot.config import Settings
from bot.events import MADE_BY, EventKind, IncomingEvent, UserRef, button_key
from bot.health import Heartbeat
from bot.keys import dispatcher_key, health_key, scheduler_key, sender_key, settings_key
from bot.policy import load_policy
from handlers.reminders.scan import ScanReport, scan
from handlers.review.away import START, due_starts

log = logging.getLogger(__name__)
SCAN_JOB = "reminder_scan"
ABSENCE_JOB = "absence_starts"
Feed = Callable[[IncomingEvent], Awaitable[bool]]


def parse_now(text: str | None, tz: ZoneInfo) -> datetime:
    """An ISO time (naive means the office's zone); ValueError if malformed; None → now."""
    if text is None:
        return utcnow()
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


async def run_scan(settings: Settings, now: datetime | None = None,
                   on_commit: Callable[[], None] = lambda: None,
                   heartbeat: Heartbeat | None = None, *, dry_run: bool = False) -> ScanReport:
    """One scan; wakes the outbox sender when it queued messages (a dry run queues none)."""
    report = await scan(now or utcnow(), settings, load_policy(settings.policy),
                        dry_run=dry_run)
    if dry_run:
        return report
    if heartbeat is not None:
        heartbeat.beat()  # /healthz: the scheduler is alive and its scan succeeds
    if report.messages:
        log.info("reminder scan at %s: %s claimed, %s messages", report.now, report.claimed,
                 report.messages)
        on_commit()
    return report


async def start_absences(settings: Settings, feed: Feed, now: datetime | None = None) -> int:
    """请假 registered ahead that has begun: one event per absence through the dispatcher,
    as the absent person (handlers/review/away.py offers their open steps to the deputy);
    the number of events handled. The absence's reminder-log row, written in the handler's
    transaction, is the only gate: the event id is this scan's, so an event that failed
    (rolled back, no row) is fed again by the next scan, and of two replicas' events one
    claims the row and the other does nothing."""
    # stored times are UTC, and SQLite compares them as text
    now = (now or clock.utcnow()).astimezone(UTC)
    handled = 0
    channel = settings.channel
    for absence, person in await due_starts(now):
        event = IncomingEvent(channel=channel, kind=EventKind.CARD_ACTION,
                              event_id=f"away-start:{absence.id}@{now.isoformat()}",
                              user=UserRef(channel, person.address(channel)), received_at=now,
                              action=button_key(START, absence.id),
                              payload={MADE_BY: "scheduler"})
        handled += await feed(event)
    return handled


def build_scheduler(settings: Settings, wake: Callable[[], None],
                    heartbeat: Heartbeat | None = None, *,
                    feed: Feed | None = None) -> AsyncIOScheduler:
    """The scheduler with its jobs, not started (start() needs the running loop); with the
    dispatcher's feed, the job that starts absences too."""
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    # one scan at a time; missed runs collapse into one (the scan catches up by itself)
    scheduler.add_job(run_scan, "interval", seconds=settings.reminder_scan_seconds,
                      id=SCAN_JOB, args=[settings],
                      kwargs={"on_commit": wake, "heartbeat": heartbeat},
                      max_instances=1, coalesce=True)
    if feed is not None:
        scheduler.add_job(start_absences, "interval", seconds=settings.reminder_scan_seconds,
                          id=ABSENCE_JOB, args=[settings, feed], max_instances=1,
                          coalesce=True)
    # what the boundary remembers only for a while (inbound ids, DingTalk pairs); imported
    # here: `remind` uses this module and needs no channel code
    from bot import housekeeping

    scheduler.add_job(housekeeping.run, "interval", seconds=housekeeping.EVERY_SECONDS,
                      id=housekeeping.JOB_ID, max_instances=1, coalesce=True)
    return scheduler


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    if not settings.scheduler_enabled:
        yield
        return
    # a missed scan or two is normal under load; silence for longer means it is dead
    max_age = max(settings.health_heartbeat_max_age_seconds, 3 * settings.reminder_scan_seconds)
    heartbeat = app[health_key].heartbeat("scheduler", max_age)
    scheduler = build_scheduler(settings, app[sender_key].wake, heartbeat,
                                feed=app[dispatcher_key].feed)
    scheduler.start()
    app[scheduler_key] = scheduler
    yield
    scheduler.shutdown(wait=False)
