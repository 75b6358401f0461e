"""Workdays on the official Chinese calendar, with public holidays and 调休 workdays.

The `chinese-calendar` package carries the State Council's yearly schedule. Beyond the
years it knows, a day is a workday when it is Monday to Friday; the first such guess is
logged as a warning once per process, because its deadlines may be off by a holiday.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, timedelta
from functools import cache

import chinese_calendar

log = logging.getLogger(__name__)
_warned: set[str] = set()


@cache  # reminder scans ask about the same few days many times
def is_workday(day: date) -> bool:
    """Official workday (holidays and 调休 included); Monday–Friday beyond the calendar."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if "fallback" not in _warned:
            _warned.add("fallback")
            log.warning("the official calendar has no data for %s; counting Monday to Friday "
                        "as workdays beyond its known years", day.year)
        return day.weekday() < 5


def add_workdays(start: date, count: int) -> date:
    """The date `count` workdays after `start` (start itself is not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def reset_warning() -> None:
    """Forget the fallback warning (tests)."""
    _warned.clear()
