"""The reminder kinds of the follow-ups, duty and staff rules, for the scan
(handlers/reminders/scan.py): each finds what is due with indexed queries."""

from __future__ import annotations

from datetime import datetime

from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from handlers.duty.due import duty_due
from handlers.followups.counterfeit import counterfeit_due
from handlers.followups.interpretation import interpretation_due
from handlers.followups.messages import message_due
from handlers.followups.rectification import fix_due
from handlers.followups.zombies import zombie_due
from handlers.reminders.kinds import Due
from handlers.staff.due import vetting_due
from handlers.website.columns import column_due

KINDS = (fix_due, message_due, interpretation_due, counterfeit_due, zombie_due, duty_due,
         vetting_due, column_due)


async def followup_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """Everything these rules chase (rules R-FIX-1, R-MSG-1, R-INT-1, R-ACC-14, R-ACC-7,
    R-DUT-1, R-SEC-6, R-UPD-4), in working hours like the other non-urgent kinds."""
    items: list[Due] = []
    for kind in KINDS:
        items += await kind(policy, now, hours)
    return items
