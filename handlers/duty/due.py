"""The duty reminder (rule R-DUT-1): before each public holiday (the official calendar),
units that run accounts and have days of it with no one on duty are told: their leaders
remind_before_days ahead, and with the supervisors above on the last day before it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.workdays import holiday_periods
from handlers.duty.roster import gap_spans, span_text, uncovered
from handlers.reminders.kinds import LEADERS, SUPERVISOR, Due, ladder, reached
from models.org import Account


async def duty_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    today = hours.local(now).date()
    ahead = policy.duty.remind_before_days
    periods = [p for p in holiday_periods(today, today + timedelta(days=ahead))
               if p.first > today]
    if not periods:
        return []
    # units that run at least one active account keep a watch
    units = [str(u) for u in await Account.filter(status="normal").distinct()
             .values_list("unit_id", flat=True)]
    items = []
    for period in periods:
        first = datetime.combine(period.first, time(0), hours.tz)
        rung = reached(ladder(
            ("before", first - timedelta(days=ahead), [LEADERS]),
            ("due", first - timedelta(days=1), [LEADERS, SUPERVISOR]),
        ), now)
        if rung is None:
            continue
        for unit_id, gaps in (await uncovered(units, period)).items():
            items.append(Due("duty", f"duty:{unit_id}@{period.first.isoformat()}", rung.stage,
                             rung.audience, unit_id, ctx={
                                 "holiday": list(period.names),
                                 "span": span_text(period.first, period.last),
                                 "gaps": gap_spans(gaps)}))
    return items
