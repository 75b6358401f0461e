"""Zombie candidates (rule R-ACC-7): accounts silent for a quarter, proposed for closure.

An active account with no update for zombies.silent_days (or none since it came onto the
registry) is proposed once per silent spell to the supervisors above its unit, saying
whether it has any admin left (无专人维护); `待办` lists the candidates under a
supervisor with what closes them: an update, a rectification, or a closure filing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from handlers.followups.common import label_of
from handlers.reminders.kinds import SUPERVISOR, Due, stamp
from models.org import Account, chunks


@dataclass(frozen=True)
class Candidate:
    account_id: int
    unit_id: str
    label: str
    name: str
    since: datetime  # the last update, or when it came onto the registry
    admins: int


async def candidates(policy: Policy, now: datetime,
                     unit_ids: list[str] | None = None) -> list[Candidate]:
    """Active accounts silent since at least silent_days ago (rule R-ACC-7)."""
    cutoff = now - timedelta(days=policy.zombies.silent_days)
    query = Account.filter(Q(last_update_at__lte=cutoff)
                           | Q(last_update_at__isnull=True, created_at__lte=cutoff),
                           status="normal")
    if unit_ids is not None:
        query = query.filter(unit_id__in=unit_ids)
    rows = await query.order_by("id").values_list("id", "unit_id", "name", "platform",
                                                  "last_update_at", "created_at")
    admins: dict[int, int] = {}
    for chunk in chunks([r[0] for r in rows]):
        for acc_id, person_id in await Account.filter(id__in=chunk, admins__active=True) \
                .values_list("id", "admins__id"):
            admins[acc_id] = admins.get(acc_id, 0) + (1 if person_id else 0)
    return [Candidate(acc_id, unit_id, label_of(name, platform), name, last or created,
                      admins.get(acc_id, 0))
            for acc_id, unit_id, name, platform, last, created in rows]


async def zombie_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """rule R-ACC-7: each candidate once per silent spell, to the supervisors above."""
    return [Due("zombie", f"zombie:{c.account_id}@{stamp(c.since)}", "due",
                frozenset({SUPERVISOR}), c.unit_id, ctx={
                    "account": c.label, "name": c.name, "days": (now - c.since).days,
                    "no_admin": c.admins == 0})
            for c in await candidates(policy, now)]
