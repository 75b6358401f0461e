"""The weekly audit head: every supervisor gets the chain's count and last hash once a week.

A copy of the head outside the database is what makes a rewritten or cut-off chain show
(`govmedia audit verify --head N:HASH`, bot/audit.py). It goes out with the weekly digest
(same weekday and time from the policy profile), claimed under a unique reminder-log key
like every reminder, so replicas and repeated scans never send it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import audit
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.rendering import msg
from handlers.reminders.digest import weekly_key
from handlers.reminders.kinds import local_text
from models.org import Person
from models.reminders import ReminderLog

KIND = "audit"
STAGE = "weekly"


@dataclass(frozen=True)
class HeadClaim:
    subject: str
    week: str
    head: audit.Head
    supervisors: tuple[str, ...]


async def supervisors() -> tuple[str, ...]:
    """Every active person holding the supervisor role, by id."""
    rows = await Person.filter(active=True).order_by("id").values_list("id", "roles")
    return tuple(pid for pid, roles in rows if "supervisor" in (roles or []))


async def head_claim(policy: Policy, now: datetime, hours: WorkingHours) -> HeadClaim | None:
    """This week's head message, unless it was claimed already or there is nothing to say."""
    week = weekly_key(policy, now, hours)
    if week is None:
        return None
    subject = f"audit-head:{week}"
    if await ReminderLog.exists(kind=KIND, subject=subject):
        return None
    head = await audit.head()
    people = await supervisors()
    if head.count == 0 or not people:
        return None
    return HeadClaim(subject, week, head, people)


def log_row(claim: HeadClaim, scan_id: str, now: datetime) -> ReminderLog:
    return ReminderLog(subject=claim.subject, kind=KIND, stage=STAGE,
                       recipients=list(claim.supervisors), scan=scan_id, at=now)


def text(claim: HeadClaim, now: datetime, hours: WorkingHours) -> str:
    head = claim.head
    return msg("audit.weekly_head", week=claim.week, at=local_text(now, hours),
               count=head.count, hash=head.hash, token=head.token)
