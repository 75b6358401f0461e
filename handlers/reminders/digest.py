"""Daily digest to each unit's reviewers, weekly digest to supervisors (workdays only).

Built from the same due items the scan found, plus the open relay targets and the
review steps waiting; a unit with nothing to report sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from bot.policy import Policy
from bot.reminders.hours import WorkingHours, parse_clock
from handlers.reminders.kinds import Due, local_text
from handlers.reminders.people import People
from handlers.review.routing import level_label
from models.relay import RelayTarget
from models.review import AUTHOR_LEVEL, ReviewStep


@dataclass
class UnitDigest:
    unit: str = ""
    stale: list[dict[str, object]] = field(default_factory=list)
    passwords: list[dict[str, object]] = field(default_factory=list)
    relays: list[dict[str, object]] = field(default_factory=list)
    drafts: list[dict[str, object]] = field(default_factory=list)

    def counts(self) -> dict[str, object]:
        return {"unit": self.unit, "stale": len(self.stale), "passwords": len(self.passwords),
                "relays": len(self.relays), "drafts": len(self.drafts)}


@dataclass(frozen=True)
class DigestClaim:
    subject: str
    stage: str  # daily | weekly
    person: str
    block: object  # a UnitDigest (daily) or a list of unit counts (weekly)


def daily_key(policy: Policy, now: datetime, hours: WorkingHours) -> str | None:
    """Today's date once the digest time has come on a workday, else None."""
    here = hours.local(now)
    if not hours.is_open(now) or here.time() < parse_clock(policy.reminders.daily_digest_at):
        return None
    return here.date().isoformat()


def weekly_key(policy: Policy, now: datetime, hours: WorkingHours) -> str | None:
    """This ISO week, on the first workday from the configured weekday, else None."""
    rem, here = policy.reminders, hours.local(now)
    if (not hours.is_open(now) or here.isoweekday() < rem.weekly_digest_weekday
            or here.time() < parse_clock(rem.weekly_digest_at)):
        return None
    year, week, _ = here.isocalendar()
    return f"{year}-W{week:02d}"


async def _facts(dues: list[Due], people: People, hours: WorkingHours) -> dict[str, UnitDigest]:
    units: dict[str, UnitDigest] = defaultdict(UnitDigest)
    for due in dues:
        if due.kind == "stale":
            units[due.unit_id].stale.append(due.ctx)
        elif due.kind == "password":
            units[due.unit_id].passwords.append(due.ctx)
    for task_id, unit_id, due_at, title, url in await RelayTarget.filter(
            done_at__isnull=True).values_list("task_id", "unit_id", "due_at", "task__title",
                                              "task__source_url"):
        units[unit_id].relays.append({"task": task_id, "title": title or url,
                                      "due": local_text(due_at, hours)})
    for draft_id, level, title, unit_id, assignee in await ReviewStep.filter(
            decision__isnull=True, level__gt=AUTHOR_LEVEL).values_list(
            "draft_id", "level", "draft__title", "draft__account__unit_id", "assignee__name"):
        units[unit_id].drafts.append({"id": draft_id, "title": title, "assignee": assignee,
                                      "level": level_label(level)})
    await people.prepare(units)
    for unit_id, digest in units.items():
        digest.unit = (await people.unit(unit_id)).name
    return units


async def digests(now: datetime, hours: WorkingHours, dues: list[Due], people: People,
                  day: str | None, week: str | None) -> list[DigestClaim]:
    """The digests for these periods (None: not now), one claim per person and period."""
    rem = people.policy.reminders
    claims: list[DigestClaim] = []
    weekly: dict[str, list[dict[str, object]]] = defaultdict(list)
    for unit_id, digest in sorted((await _facts(dues, people, hours)).items()):
        if day is not None:
            claims += [DigestClaim(f"daily:{p}:{day}", "daily", p, digest)
                       for p in await people.with_roles(rem.daily_digest_roles, unit_id)]
        if week is not None:
            for person in await people.with_roles(rem.weekly_digest_roles, unit_id):
                weekly[person].append(digest.counts())
    claims += [DigestClaim(f"weekly:{p}:{week}", "weekly", p, rows)
               for p, rows in weekly.items()]
    return claims
