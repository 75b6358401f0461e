"""Zombie candidates (rule R-ACC-7): accounts proposed for closure to the supervisor.

The same accounts the quarterly inspection report proposes (handlers/reports/inspection.py):
active, no update for a whole inspection period (inspection.every_months, R-INS-1; none
since it came onto the registry counts from then) and no active admin (无专人维护). Each is
proposed once per silent spell to the supervisors above its unit; `待办` lists them under a
supervisor with what closes them: an update, an admin, a rectification or a closure filing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from handlers.followups.common import label_of
from handlers.reminders.kinds import SUPERVISOR, Due, add_months, stamp
from models.org import Account, chunks


@dataclass(frozen=True)
class Candidate:
    account_id: int
    unit_id: str
    label: str
    name: str
    since: datetime  # the last update, or when it came onto the registry


async def candidates(policy: Policy, now: datetime,
                     unit_ids: list[str] | None = None) -> list[Candidate]:
    """Active accounts silent for a whole inspection period, with no active admin."""
    cutoff = add_months(now, -policy.inspection.every_months)  # rule R-ACC-7 / R-INS-1
    base = Account.filter(status="normal")
    if unit_ids is not None:
        base = base.filter(unit_id__in=unit_ids)
    # two range queries (as the stale kind asks them) rather than one OR no index serves
    rows = []
    for query in (base.filter(last_update_at__lte=cutoff),
                  base.filter(last_update_at__isnull=True, created_at__lte=cutoff)):
        rows += await query.values_list("id", "unit_id", "name", "platform", "last_update_at",
                                        "created_at")
    rows.sort()
    admins: set[int] = set()
    for chunk in chunks([r[0] for r in rows]):
        admins.update(cast(list[int], await Account.filter(id__in=chunk, admins__active=True)
                           .values_list("id", flat=True)))
    return [Candidate(acc_id, unit_id, label_of(name, platform), name, last or created)
            for acc_id, unit_id, name, platform, last, created in rows if acc_id not in admins]


async def zombie_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """rule R-ACC-7: each candidate once per silent spell, to the supervisors above."""
    return [Due("zombie", f"zombie:{c.account_id}@{stamp(c.since)}", "due",
                frozenset({SUPERVISOR}), c.unit_id, ctx={
                    "account": c.label, "name": c.name, "days": (now - c.since).days})
            for c in await candidates(policy, now)]
