"""What is due: one indexed query per reminder kind, turned into Due items.

Each kind has a ladder of stages (before, due, overdue, escalated) whose times come
from the policy profile; an item is due at the highest stage it has reached. Who hears
about it is named by audience tokens that handlers/reminders/scan.py resolves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.datefmt import month_day
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.rendering import msg
from bot.workdays import add_months
from handlers.common.absence import away_at
from handlers.common.lookup import platform_label
from handlers.registry.closers import close_hint, deadline_title
from handlers.reminders.updates import (
    gap_applies_to_limited,
    limited_q,
    published_counts,
    week_start,
)
from models.deadlines import Deadline
from models.org import Account, Person
from models.relay import RelayTarget
from models.review import AUTHOR_LEVEL, ReviewStep

STAGES = ("before", "due", "overdue", "escalated")
RANK = {stage: i for i, stage in enumerate(STAGES)}
# audience tokens: who must act, the unit's reviewer and chief, the supervisor above,
# the next level up the review ladder (R-REV-3)
DOERS, LEADERS, SUPERVISOR, NEXT_UP = "doers", "leaders", "supervisor", "next_up"
_ACCOUNT_FIELDS = ("id", "unit_id", "name", "platform", "content", "last_update_at",
                   "created_at", "password_changed_at")


@dataclass(frozen=True)
class Rung:
    stage: str
    at: datetime
    audience: frozenset[str]


@dataclass
class Due:
    """One thing to chase at one stage."""

    kind: str
    subject: str
    stage: str
    audience: frozenset[str]
    unit_id: str
    ctx: dict[str, Any]  # for the message line templates/messages/reminders.toml
    urgent: bool = False
    account_id: int | None = None
    people: tuple[str, ...] = ()  # named doers (assignee, task creator …), else derived
    extra: tuple[str, ...] = ()  # added at SUPERVISOR (the relay task's creator)
    role: str = ""  # the review step's role, for NEXT_UP
    excluded: frozenset[str] = field(default_factory=frozenset)


def reached(rungs: Iterable[Rung], now: datetime) -> Rung | None:
    """The highest-ranked rung whose time has come."""
    hit = [r for r in rungs if r.at <= now]
    return max(hit, key=lambda r: RANK[r.stage]) if hit else None


def ladder(*steps: tuple[str, datetime, Iterable[str]]) -> tuple[Rung, ...]:
    return tuple(Rung(stage, at, frozenset(aud)) for stage, at, aud in steps)


def local_text(moment: datetime, hours: WorkingHours) -> str:
    """Month, day and time in the office's zone; a deadline at the end of a day (a date
    deadline, e.g. N workdays) is shown as its date only."""
    here = hours.local(moment)
    if (here.hour, here.minute) == (23, 59):
        return local_date(moment, hours)
    return f"{month_day(here)} {here:%H:%M}"


def local_date(moment: datetime, hours: WorkingHours) -> str:
    """Month and day in the office's zone, for deadlines that are dates."""
    return month_day(hours.local(moment))


def stamp(moment: datetime) -> str:
    """A period key for subjects: the reference time, to the second, in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


# --- stale accounts (R-UPD-1, R-UPD-2, R-UPD-3, R-UPD-5) ---

def stale_limits(policy: Policy) -> dict[str, int]:
    return {"text": policy.updates.text_max_gap_days,  # rule R-UPD-1
            "video": policy.updates.video_max_gap_days}  # rule R-UPD-2


async def _accounts_since(content: str, column: str, cutoff: datetime,
                          limited: bool | None = None,
                          policy: Policy | None = None) -> list[tuple[Any, ...]]:
    """Active accounts whose reference time (column, or created_at when NULL) ≤ cutoff;
    limited True/False: only / none of the accounts whose platform limits posting."""
    base = Account.filter(status="normal", **({"content": content} if content else {}))
    if limited is not None and policy is not None:
        base = base.filter(limited_q(policy)) if limited else base.exclude(limited_q(policy))
    dated = base.filter(**{f"{column}__lte": cutoff}).values_list(*_ACCOUNT_FIELDS)
    never = base.filter(**{f"{column}__isnull": True, "created_at__lte": cutoff}) \
        .values_list(*_ACCOUNT_FIELDS)
    return [*await dated, *await never]


async def stale_due(policy: Policy, now: datetime) -> list[Due]:
    """Accounts near or past their update limit; suspended or closed ones are left alone.
    rule R-UPD-3: accounts whose platform limits posting have their own gap, where the
    profile gives one."""
    rem, items = policy.reminders, []
    own = gap_applies_to_limited(policy)
    groups = [(content, limit, False if own else None)
              for content, limit in stale_limits(policy).items()]
    if own:
        groups.append(("", policy.updates.limited_max_gap_days, True))
    for content, limit, limited in groups:
        first = timedelta(days=limit - rem.stale_before_days)
        for row in await _accounts_since(content, "last_update_at", now - first, limited,
                                         policy):
            acc_id, unit_id, name, platform, _, last, created, _ = row
            ref = last or created
            rung = reached(ladder(
                ("before", ref + first, [DOERS]),
                ("due", ref + timedelta(days=limit), [DOERS]),
                ("overdue", ref + timedelta(days=limit + rem.stale_overdue_days),
                 [DOERS, LEADERS]),
                # rule R-UPD-5: the national inspection veto brings in the supervisor
                ("escalated", ref + timedelta(days=policy.updates.inspection_veto_days),
                 [DOERS, LEADERS, SUPERVISOR]),
            ), now)
            if rung is None:
                continue
            items.append(Due("stale", f"account:{acc_id}@{stamp(ref)}", rung.stage,
                             rung.audience, unit_id, account_id=acc_id, ctx={
                                 "account": _label(name, platform),
                                 "days": (now - ref).days, "limit": limit,
                                 "never": last is None, "limited": bool(limited),
                                 "veto": policy.updates.inspection_veto_days}))
    return items


# --- the weekly count (R-UPD-3, 003 Art.12) ---

async def weekly_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """R-UPD-3: accounts short of the weekly count: this week from the profile's check
    weekday (the account's doers), and last week once it is over (doers and leaders)."""
    updates = policy.updates
    if not updates.count_per_week:
        return []
    minimum = updates.min_updates_per_week
    start = week_start(now, hours)
    last = start - timedelta(days=7)
    base = Account.filter(status="normal")
    if gap_applies_to_limited(policy):
        base = base.exclude(limited_q(policy))
    rows = await base.values_list("id", "unit_id", "name", "platform", "created_at")
    if not rows:
        return []
    counts_last = await published_counts(last, start)
    counts_now = await published_counts(start, now + timedelta(seconds=1))
    checking = hours.local(now).isoweekday() >= policy.reminders.weekly_check_weekday
    left = 7 - hours.local(now).weekday()
    items: list[Due] = []
    for acc_id, unit_id, name, platform, created in rows:
        label = _label(name, platform)
        period = {"start": local_date(last, hours),
                  "end": local_date(start - timedelta(seconds=1), hours)}
        done = counts_last.get(acc_id, 0)
        if (created is None or created <= last) and done < minimum:
            items.append(_week_due(acc_id, unit_id, last, "overdue", {DOERS, LEADERS}, {
                "account": label, "count": done, "minimum": minimum, **period}))
        done = counts_now.get(acc_id, 0)
        if checking and (created is None or created <= start) and done < minimum:
            items.append(_week_due(acc_id, unit_id, start, "before", {DOERS}, {
                "account": label, "count": done, "minimum": minimum, "left": left}))
    return items


def _week_due(acc_id: int, unit_id: str, week: datetime, stage: str, audience: set[str],
              ctx: dict[str, Any]) -> Due:
    """One account's week (its Monday's start, in UTC, keys it)."""
    subject = f"account:{acc_id}@week{stamp(week)}"
    return Due("weekly", subject, stage, frozenset(audience), unit_id, account_id=acc_id,
               ctx=ctx)




def _label(name: str, platform: str) -> str:
    return msg("account.label", name=name, platform=platform_label(platform))


# --- password rotation (R-SEC-1) ---

async def password_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """Accounts whose password is due within the warning window, or past it."""
    rem, months = policy.reminders, policy.security.password_max_age_months
    before = timedelta(days=rem.password_before_days)
    # month ends make add_months uneven; the slack is checked exactly below
    cutoff = add_months(now + before, -months) + timedelta(days=3)
    items = []
    for row in await _accounts_since("", "password_changed_at", cutoff):
        acc_id, unit_id, name, platform, _, _, created, changed = row
        ref = changed or created
        due_at = add_months(ref, months)  # rule R-SEC-1
        rung = reached(ladder(
            ("before", due_at - before, [DOERS]),
            ("due", due_at, [DOERS]),
            ("overdue", due_at + timedelta(days=rem.password_overdue_days), [DOERS, LEADERS]),
        ), now)
        if rung is None:
            continue
        items.append(Due("password", f"password:{acc_id}@{stamp(ref)}", rung.stage,
                         rung.audience, unit_id, account_id=acc_id, ctx={
                             "account": _label(name, platform), "due": local_date(due_at, hours),
                             "months": months, "never": changed is None,
                             # rule R-SEC-2: the strength rule, never a request for it
                             "classes": policy.security.password_min_classes}))
    return items


# --- relay tasks (R-RLY-1): urgent, any hour ---

async def relay_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    rem = policy.reminders
    rows = await RelayTarget.filter(
        done_at__isnull=True, due_at__lte=now + timedelta(hours=rem.relay_before_hours),
    ).values_list("id", "task_id", "unit_id", "due_at", "task__title", "task__source_url",
                  "task__created_by_id")
    items = []
    for target_id, task_id, unit_id, due_at, title, url, creator in rows:
        rung = reached(ladder(
            ("before", due_at - timedelta(hours=rem.relay_before_hours), [DOERS]),
            ("due", due_at, [DOERS, LEADERS]),
            ("escalated", due_at + timedelta(hours=rem.relay_escalate_hours),
             [DOERS, LEADERS, SUPERVISOR]),
        ), now)
        if rung is None:
            continue
        items.append(Due("relay", f"relay:{target_id}", rung.stage, rung.audience, unit_id,
                         urgent=True, extra=(creator,), ctx={
                             "task": task_id, "title": title or url, "url": url,
                             "due": local_text(due_at, hours),
                             # rule R-REV-1: the way to close it the profile allows
                             "verbatim": policy.relay.verbatim_without_review
                             and policy.is_allowed_source(url)}))
    return items


# --- late review (R-REV-1), counted in working hours ---

async def review_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    rem = policy.reminders
    top = rem.review_late_work_hours + rem.review_escalate_work_hours
    # working hours never exceed wall-clock hours: a safe index range first
    rows = await ReviewStep.filter(
        decision__isnull=True, level__gt=AUTHOR_LEVEL,
        created_at__lte=now - timedelta(hours=rem.review_late_work_hours),
    ).values_list("id", "draft_id", "role", "assignee_id", "created_at", "draft__title",
                  "draft__account__unit_id", "draft__author_id", "assigned_at")
    # issue 20: an absent holder is not chased; their deputy is, else the unit's chief
    away = await away_at([r[3] for r in rows], now)
    items = []
    for step_id, draft_id, role, assignee, created, title, unit_id, author, moved in rows:
        created = moved or created  # held since the last 转交 / 改派 / 代理
        waited = hours.hours_between(created, now, cap=top)
        if waited < rem.review_late_work_hours:
            continue
        stage, audience = ("escalated", {DOERS, NEXT_UP}) if waited >= top else ("due", {DOERS})
        people: tuple[str, ...] = (assignee,)
        kind, ctx = "review", {"id": draft_id, "title": title, "hours": rem.review_late_work_hours,
                               "since": local_text(created, hours)}
        if assignee in away:
            deputy = away[assignee].deputy_id  # the deputy may act on it (take_as_deputy)
            chiefs = tuple(p.id for p in await Person.holders(unit_id, "chief") if p.id != author)
            if deputy:
                people = (deputy,)
            elif chiefs:  # nobody stands in: the chief hears it, to 改派
                holder = await Person.get(id=assignee)
                kind, people, ctx = "review_away", chiefs, {**ctx, "holder": holder.name}
        items.append(Due(kind, f"review:{step_id}", stage, frozenset(audience), unit_id,
                         people=people, role=role, excluded=frozenset({assignee, author}),
                         ctx=ctx))
    return items


# --- filing deadlines from the registry (R-ACC-2..4, R-SEC-3, R-FIX-1) ---

async def deadline_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    rem = policy.reminders
    before = timedelta(days=rem.deadline_before_days)
    # recorded rows (done_at set) are never reminded of (R-ACC-2..4: handlers/registry/followups)
    rows = await Deadline.filter(done_at__isnull=True, due_at__lte=now + before).values_list(
        "id", "kind", "rule", "unit_id", "account_id", "assignee_id", "title", "title_data",
        "due_at", "subject", "account__name")
    items = []
    for dl_id, kind, rule, unit_id, account_id, assignee, title, data, due_at, subject, name \
            in rows:
        rung = reached(ladder(
            ("before", due_at - before, [DOERS]),
            ("due", due_at, [DOERS]),
            ("overdue", due_at + timedelta(days=rem.deadline_overdue_days), [DOERS, LEADERS]),
            ("escalated", due_at + timedelta(days=rem.deadline_escalate_days),
             [DOERS, LEADERS, SUPERVISOR]),
        ), now)
        if rung is None:
            continue
        items.append(Due("deadline", f"deadline:{dl_id}", rung.stage, rung.audience, unit_id,
                         account_id=account_id, people=(assignee,) if assignee else (),
                         ctx={"title": deadline_title(kind, data, title), "kind": kind, "rule": rule,
                              "due": local_text(due_at, hours),
                              "close": close_hint(kind, subject, name or "")}))
    return items
