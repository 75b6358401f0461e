"""The reminder scan (DESIGN.md "reminders derived from state").

Every minute (bot/scheduler.py) or on demand (`govmedia remind --now ISO-TIME`): find
what is due with indexed queries, claim one reminder-log row per (subject, kind, stage)
under its unique key, and queue one message per person through the outbox, all in one
transaction. A second scan, a restart or a second replica finds the rows claimed and
sends nothing; after downtime the next scan sends each item's highest stage once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from tortoise.transactions import in_transaction

from bot import outbox
from bot.config import Settings
from bot.db import retry_deadlocks
from bot.events import OutgoingText
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.rendering import message_keys, msg, render
from handlers.duty.roster import on_duty
from handlers.followups.due import followup_due
from handlers.reminders import audit_head
from handlers.reminders.digest import DigestClaim, daily_key, digests, weekly_key
from handlers.reminders.kinds import (
    RANK,
    Due,
    deadline_due,
    password_due,
    relay_due,
    review_due,
    stale_due,
    weekly_due,
)
from handlers.reminders.people import People
from models.org import CHUNK, Person, chunks
from models.reminders import ReminderLog

MAX_LINES = 20  # per message; WeCom text messages are short


@dataclass(frozen=True)
class Planned:
    """One message a scan sends (or, dry run, would send) to one person."""

    person: str
    name: str
    channel: str
    address: str
    text: str


@dataclass(frozen=True)
class ScanReport:
    now: datetime
    claimed: int  # reminder-log rows this scan wrote (dry run: would write)
    messages: int  # outbox rows this scan queued, one per person (dry run: would queue)
    quiet: bool  # outside working hours: only urgent kinds were looked at
    planned: tuple[Planned, ...] = ()  # the messages themselves
    dry_run: bool = False


@dataclass
class _Mail:
    lines: list[str] = field(default_factory=list)
    daily: list[Any] = field(default_factory=list)
    weekly: list[Any] = field(default_factory=list)
    audit: str = ""  # the weekly audit head (supervisors)


@cache
def _own_keys() -> frozenset[str]:
    """Reminder lines that have a variant for the person who must act."""
    return frozenset(k for k in message_keys() if k.endswith(".self"))


def working_hours(settings: Settings, policy: Policy) -> WorkingHours:
    return WorkingHours.of(policy.reminders.work_start, policy.reminders.work_end, settings.tz)


async def _unsent(dues: list[Due]) -> list[Due]:
    """Drop items whose stage (or a higher one: the clock may jump back) was sent."""
    by_kind: dict[str, list[Due]] = defaultdict(list)
    for due in dues:
        by_kind[due.kind].append(due)
    fresh: list[Due] = []
    for kind, items in by_kind.items():
        sent: dict[str, int] = {}
        for chunk in chunks([d.subject for d in items]):
            for subject, stage in await ReminderLog.filter(kind=kind, subject__in=chunk) \
                    .values_list("subject", "stage"):
                sent[subject] = max(sent.get(subject, -1), RANK.get(stage, -1))
        fresh += [d for d in items if sent.get(d.subject, -1) < RANK[d.stage]]
    return fresh


async def _due_items(policy: Policy, now: datetime, hours: WorkingHours,
                     quiet: bool) -> list[Due]:
    dues = await relay_due(policy, now, hours)  # rule R-RLY-1: urgent, any hour
    if not quiet:
        dues += await stale_due(policy, now)
        dues += await weekly_due(policy, now, hours)  # rule R-UPD-3
        dues += await password_due(policy, now, hours)
        dues += await review_due(policy, now, hours)
        dues += await deadline_due(policy, now, hours)
        dues += await followup_due(policy, now, hours)
    return dues


async def _digest_claims(policy: Policy, now: datetime, hours: WorkingHours, dues: list[Due],
                         people: People) -> list[DigestClaim]:
    """This period's digests, unless already handed out (a marker row says so cheaply)."""
    periods = {"daily": daily_key(policy, now, hours), "weekly": weekly_key(policy, now, hours)}
    for stage, key in periods.items():
        if key is not None and await ReminderLog.exists(kind="digest", subject=f"run:{key}"):
            periods[stage] = None
    if not any(periods.values()):
        return []
    claims = await digests(now, hours, dues, people, periods["daily"], periods["weekly"])
    stages = {c.stage for c in claims}
    # markers: the period's digests were handed out (recipients empty: nothing to send)
    return claims + [DigestClaim(f"run:{key}", stage, "", None)
                     for stage, key in periods.items() if key is not None and stage in stages]


async def scan(now: datetime, settings: Settings, policy: Policy, *,
               dry_run: bool = False) -> ScanReport:
    """One scan at `now` (an aware datetime); safe to run any number of times.
    A dry run writes nothing: it reports what this scan would claim and send."""
    # SQLite keeps an aware datetime as text in its own offset and compares it as text:
    # every time the scan queries with must be in UTC, as stored rows are (bot.clock)
    now = now.astimezone(UTC)
    hours = working_hours(settings, policy)
    quiet = not hours.is_open(now)
    dues = await _due_items(policy, now, hours, quiet)
    people = People(policy)
    fresh = await _unsent(dues)
    await people.prepare({d.unit_id for d in (fresh if quiet else dues)})
    # rule R-DUT-1: outside working hours urgent items go to whoever is on duty
    people.duty = await on_duty([d.unit_id for d in fresh if d.urgent], now, hours)
    await people.load_admins(d.account_id for d in fresh)
    plans = [(due, *await people.resolve(due)) for due in fresh]
    for due in fresh:
        due.ctx["unit"] = (await people.unit(due.unit_id)).name
    claims = [] if quiet else await _digest_claims(policy, now, hours, dues, people)
    head = None if quiet else await audit_head.head_claim(policy, now, hours)
    scan_id = uuid.uuid4().hex
    rows = [ReminderLog(subject=d.subject, kind=d.kind, stage=d.stage, recipients=to,
                        scan=scan_id, at=now) for d, to, _ in plans]
    rows += [ReminderLog(subject=c.subject, kind="digest", stage=c.stage,
                         recipients=[c.person] if c.person else [], scan=scan_id, at=now)
             for c in claims]
    rows += [audit_head.log_row(head, scan_id, now)] if head else []
    if not rows:
        return ScanReport(now, 0, 0, quiet, dry_run=dry_run)
    if dry_run:
        planned = await _plan(settings, plans, [c for c in claims if c.person],
                              _head_note(head, now, hours))
        return ScanReport(now, len(rows), len(planned), quiet, tuple(planned), dry_run=True)

    async def claim_and_queue() -> ScanReport:
        # replicas scanning at once race for the same log keys; on MySQL that can make
        # this transaction a deadlock victim, rolled back whole and run again
        async with in_transaction():
            await ReminderLog.bulk_create(rows, ignore_conflicts=True, batch_size=CHUNK)
            mine = set(await ReminderLog.filter(scan=scan_id).values_list("kind", "subject"))
            mine_plans = [p for p in plans if (p[0].kind, p[0].subject) in mine]
            mine_claims = [c for c in claims if ("digest", c.subject) in mine and c.person]
            mine_head = head if head and (audit_head.KIND, head.subject) in mine else None
            planned = await _plan(settings, mine_plans, mine_claims,
                                  _head_note(mine_head, now, hours))
            sent = await outbox.enqueue_many([
                (p.channel, p.address, OutgoingText(p.text, markdown=True)) for p in planned])
        return ScanReport(now, len(mine), sent, quiet, tuple(planned))

    return await retry_deadlocks(claim_and_queue)


def _head_note(claim: audit_head.HeadClaim | None, now: datetime,
               hours: WorkingHours) -> tuple[tuple[str, ...], str]:
    """Who gets the weekly audit head, and its text (nobody, "" when not this scan)."""
    if claim is None:
        return (), ""
    return claim.supervisors, audit_head.text(claim, now, hours)


async def _people(ids: Iterable[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for chunk in chunks(sorted(set(ids))):
        found.update({p.id: p for p in await Person.filter(id__in=chunk, active=True)})
    return found


async def _plan(settings: Settings, plans: list[tuple[Due, list[str], list[str]]],
                claims: list[DigestClaim],
                head: tuple[tuple[str, ...], str] = ((), "")) -> list[Planned]:
    """One message per person: every line, digest and the audit head they have in this scan."""
    persons = await _people([p for _, to, doers in plans for p in (*to, *doers)]
                            + [c.person for c in claims] + list(head[0]))
    mail: dict[str, _Mail] = defaultdict(_Mail)
    for due, to, doers in plans:
        who = [persons[p].name for p in doers if p in persons]
        key = f"reminders.{due.kind}.{due.stage}"
        line = msg(key, **due.ctx, who=who)
        # the one who must act never hears "please chase <themselves>"
        own = msg(f"{key}.self", **due.ctx) if f"{key}.self" in _own_keys() else line
        for person in to:
            mail[person].lines.append(own if person in doers else line)
    for claim in claims:
        box = mail[claim.person]
        if claim.stage == "daily":
            box.daily.append(claim.block)
        else:
            box.weekly.extend(cast(list[Any], claim.block))
    for person in head[0]:
        mail[person].audit = head[1]
    channel = settings.channel
    return [
        Planned(pid, persons[pid].name, channel, persons[pid].address(channel), render(
            "text/reminders.md.j2", name=persons[pid].name, lines=box.lines[:MAX_LINES],
            more=max(len(box.lines) - MAX_LINES, 0), daily=box.daily, weekly=box.weekly,
            audit=box.audit))
        for pid, box in mail.items() if pid in persons
    ]
