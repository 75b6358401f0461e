"""Workdays on the official Chinese calendar, with public holidays and 调休 workdays.

The `chinese-calendar` package carries the State Council's yearly schedule. Beyond the
years it knows, a day is a workday when it is Monday to Friday; the first such guess is
logged as a warning once per process, because its deadlines may be off by a holiday.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import TypeVar

import chinese_calendar

_Day = TypeVar("_Day", date, datetime)

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


def add_months(start: _Day, months: int) -> _Day:
    """The same day (and time) `months` later, clamped to the month's last day (31 Jan + 1
    → 28/29 Feb); R-SEC-1's password age and every other months rule count this way."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(year=year, month=month,
                         day=min(start.day, calendar.monthrange(year, month)[1]))


def reset_warning() -> None:
    """Forget the fallback warning (tests)."""
    _warned.clear()


@dataclass(frozen=True)
class HolidayPeriod:
    """A run of days off around public holidays (法定节假日 with the weekend days the State
    Council's schedule joins to them), e.g. 国庆节 2025: Oct 1–8."""

    first: date
    last: date
    names: tuple[str, ...]  # the holidays in it, in Chinese (国庆节、中秋)


def _holiday_name(day: date) -> str | None:
    """The public holiday on this day, in Chinese; None on a workday, a plain weekend or
    beyond the calendar's years."""
    try:
        off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if not off or name is None:
        return None
    holiday = next((h for h in chinese_calendar.Holiday if h.value == name), None)
    return holiday.chinese if holiday else str(name)


def holiday_periods(start: date, end: date) -> list[HolidayPeriod]:
    """The holiday periods that overlap [start, end], each whole (it may begin before start
    or end after end), in order."""
    periods: list[HolidayPeriod] = []
    day = start
    while day <= end:
        if _holiday_name(day) is None:
            day += timedelta(days=1)
            continue
        first = last = day
        while not is_workday(first - timedelta(days=1)):
            first -= timedelta(days=1)
        while not is_workday(last + timedelta(days=1)):
            last += timedelta(days=1)
        names = [_holiday_name(first + timedelta(days=i)) for i in range((last - first).days + 1)]
        periods.append(HolidayPeriod(first, last, tuple(dict.fromkeys(n for n in names if n))))
        day = last + timedelta(days=1)
    return periods
