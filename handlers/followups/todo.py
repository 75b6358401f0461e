"""What `待办` lists from the follow-up, duty and staff rules: every open item of every
kind for the person, each with the command that closes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from tortoise.expressions import Q

from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from handlers.common.lookup import account_label
from handlers.duty.roster import gap_spans, next_holiday, span_text, uncovered
from handlers.followups.common import short
from handlers.followups.counterfeit import missing, step_label
from handlers.followups.zombies import candidates
from handlers.reminders.kinds import local_text
from handlers.staff.permissions import CHIEF, missing_checks
from models.followups import (
    CounterfeitReport,
    FixState,
    Interpretation,
    PublicMessage,
    Rectification,
)
from models.org import Account, OrgTree, Person
from models.staff import HolderKind, PermissionHolder

LIMIT = 30
DUTY_HORIZON_DAYS = 30  # a holiday this close with gaps in the roster is listed


@dataclass
class Section:
    key: str  # the section's title and hint in templates/text/todo_followups.md.j2
    items: list[dict[str, object]] = field(default_factory=list)


async def _doer_accounts(policy: Policy, person: Person) -> list[int]:
    """Accounts the person acts for: theirs as admin, and their unit's accounts that have no
    active admin when they hold a doer role (as the reminders choose)."""
    mine = set(cast(list[int], await person.admin_of.all().values_list("id", flat=True)))
    if any(person.has_role(r) for r in policy.reminders.doer_roles):
        unit_id = person.unit_id
        ids = cast(list[int], await Account.filter(unit_id=unit_id).values_list("id", flat=True))
        staffed = set(cast(list[int], await Account.filter(id__in=ids, admins__active=True)
                           .values_list("id", flat=True)))
        mine |= set(ids) - staffed
    return sorted(mine)


async def _fixes(policy: Policy, person: Person, hours: WorkingHours) -> list[Section]:
    accounts = await _doer_accounts(policy, person)
    todo = await Rectification.filter(state=FixState.OPEN, account_id__in=accounts or [0]) \
        .order_by("due_at").limit(LIMIT).prefetch_related("account")
    confirm = await Rectification.filter(state=FixState.SUBMITTED, opened_by_id=person.id) \
        .order_by("submitted_at").limit(LIMIT).prefetch_related("account")
    return [Section("fix", [{"id": f.id, "account": account_label(f.account),
                             "text": short(f.problem), "due": local_text(f.due_at, hours)}
                            for f in todo]),
            Section("fix_confirm", [{"id": f.id, "account": account_label(f.account),
                                     "text": short(f.note)} for f in confirm])]


async def _messages(policy: Policy, person: Person, hours: WorkingHours) -> list[Section]:
    accounts = await _doer_accounts(policy, person)
    rows = await PublicMessage.filter(answered_at__isnull=True, account_id__in=accounts or [0]) \
        .order_by("answer_due_at").limit(LIMIT).prefetch_related("account")
    return [Section("message", [{"id": m.id, "account": account_label(m.account),
                                 "text": short(m.summary), "acked": m.acked_at is not None,
                                 "due": local_text(m.answer_due_at if m.acked_at
                                                   else m.ack_due_at, hours)} for m in rows])]


async def _interpretations(policy: Policy, person: Person,
                           hours: WorkingHours) -> list[Section]:
    unit_id = person.unit_id
    doer = any(person.has_role(r) for r in policy.reminders.doer_roles)
    query = Q(opened_by_id=person.id) | Q(unit_id=unit_id) if doer else Q(opened_by_id=person.id)
    rows = await Interpretation.filter(query, done_at__isnull=True).order_by("due_at") \
        .limit(LIMIT)
    return [Section("interpretation", [{"id": r.id, "text": short(r.title),
                                        "due": local_text(r.due_at, hours)} for r in rows])]


async def _counterfeits(policy: Policy, person: Person) -> list[Section]:
    unit_id = person.unit_id
    leader = any(person.has_role(r) for r in policy.counterfeit.report_roles)
    query = Q(reported_by_id=person.id) | Q(unit_id=unit_id) if leader \
        else Q(reported_by_id=person.id)
    rows = await CounterfeitReport.filter(query, closed_at__isnull=True).order_by("id") \
        .limit(LIMIT)
    return [Section("counterfeit", [{"id": r.id, "text": f"{r.platform}“{short(r.target)}”",
                                     "todo": [step_label(s) for s in missing(r.steps)]}
                                    for r in rows])]


async def _duty(policy: Policy, person: Person, now: datetime) -> list[Section]:
    if not any(person.has_role(r) for r in policy.reminders.leader_roles):
        return []
    unit_id = person.unit_id
    holiday = next_holiday(now.date())
    if holiday is None or holiday.first > now.date() + timedelta(days=DUTY_HORIZON_DAYS):
        return []
    if not await Account.exists(unit_id=unit_id, status="normal"):
        return []
    gaps = (await uncovered([unit_id], holiday)).get(unit_id)
    return [Section("duty", [{"text": list(holiday.names),
                              "span": span_text(holiday.first, holiday.last),
                              "gaps": gap_spans(gaps)}] if gaps else [])]


async def _zombies(policy: Policy, person: Person, now: datetime) -> list[Section]:
    if not person.has_role("supervisor"):
        return []
    below = [u.id for u in await OrgTree().descendants(person.unit_id)]
    found = await candidates(policy, now, below) if below else []
    return [Section("zombie", [{"account": c.label, "name": c.name,
                                "days": (now - c.since).days} for c in found[:LIMIT]])]


async def _staff(person: Person) -> list[Section]:
    if not person.has_role(CHIEF):
        return []
    unit_id = person.unit_id
    unchecked = await Person.filter(Q(vetted_on__isnull=True) | Q(trained_on__isnull=True),
                                    active=True, admin_of__unit_id=unit_id).distinct() \
        .order_by("id")
    outsiders = await PermissionHolder.filter(
        account__unit_id=unit_id, revoked_at__isnull=True,
        kind__in=[HolderKind.VENDOR, HolderKind.SOFTWARE]).order_by("id") \
        .prefetch_related("account")
    return [Section("vetting", [{"name": p.name, "text": missing_checks(p)}
                                for p in unchecked[:LIMIT]]),
            Section("holder", [{"name": h.name, "account": account_label(h.account),
                                "account_name": h.account.name} for h in outsiders[:LIMIT]])]


async def sections(policy: Policy, person: Person, now: datetime,
                   hours: WorkingHours) -> list[Section]:
    """The non-empty sections of this person's follow-ups, in a fixed order."""
    local = hours.local(now)
    parts: Iterable[Section] = [
        *await _fixes(policy, person, hours), *await _messages(policy, person, hours),
        *await _interpretations(policy, person, hours), *await _counterfeits(policy, person),
        *await _duty(policy, person, local), *await _zombies(policy, person, now),
        *await _staff(person)]
    return [s for s in parts if s.items]
