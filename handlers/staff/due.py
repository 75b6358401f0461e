"""The staff reminder (rule R-SEC-6): an account's admin who has not passed the
confidentiality check or the pre-post training is reported to the unit's chief, once per
admin and account, until both are recorded."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from handlers.followups.common import label_of
from handlers.reminders.kinds import DOERS, SUPERVISOR, Due
from handlers.staff.permissions import CHIEF, missing_checks
from models.org import OrgTree, Person


async def vetting_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    people = await Person.filter(Q(vetted_on__isnull=True) | Q(trained_on__isnull=True),
                                 active=True).prefetch_related("admin_of")
    org, items = OrgTree(), []
    for person in people:
        for account in person.admin_of:
            if account.status != "normal":
                continue
            unit_id = account.unit_id
            chiefs = tuple(p.id for p in await org.holders(unit_id, CHIEF))
            # nobody to tell in the unit: the supervisors above hear instead
            audience = frozenset({DOERS} if chiefs else {SUPERVISOR})
            items.append(Due("vetting", f"vetting:{person.id}:{account.id}", "due",
                             audience, unit_id, people=chiefs, ctx={
                                 "name": person.name,
                                 "account": label_of(account.name, account.platform),
                                 "missing": missing_checks(person)}))
    return items
