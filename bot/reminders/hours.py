"""Working hours on official workdays (RULES.md: 调休 included), for reminders.

Workdays come from bot.workdays (the official calendar, Monday–Friday beyond it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.workdays import is_workday


def parse_clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class WorkingHours:
    """The office day (e.g. 08:30–18:00) in a time zone."""

    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def of(cls, start: str, end: str, tz: ZoneInfo) -> WorkingHours:
        return cls(parse_clock(start), parse_clock(end), tz)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def is_open(self, moment: datetime) -> bool:
        """True during working hours on a workday: non-urgent reminders may go out."""
        here = self.local(moment)
        return is_workday(here.date()) and self.start <= here.time() < self.end

    def _day_window(self, day: date) -> tuple[datetime, datetime]:
        return (datetime.combine(day, self.start, self.tz),
                datetime.combine(day, self.end, self.tz))

    def hours_between(self, since: datetime, until: datetime, cap: float) -> float:
        """Working hours from since to until, counting at most up to cap (early exit)."""
        total = 0.0
        day = self.local(since).date()
        last = self.local(until).date()
        while day <= last and total < cap:
            if is_workday(day):
                opens, closes = self._day_window(day)
                overlap = min(closes, until) - max(opens, since)
                total += max(overlap, timedelta(0)).total_seconds() / 3600
            day += timedelta(days=1)
        return total
