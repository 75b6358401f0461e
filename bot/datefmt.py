"""How dates and times read in every message, card, form and spreadsheet, in one place.

Three shapes, each for its use: 2026-10-01 14:30 (records, cards, the ledger), 2026-10-01
(a due date in a list), 10月1日 (a deadline in a sentence).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.rendering import msg

DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_minute(moment: datetime | None, tz: ZoneInfo) -> str:
    """2026-10-01 14:30 in the office's zone; "" for no time."""
    return moment.astimezone(tz).strftime(TIME_FORMAT) if moment else ""


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    """2026-10-01, the day the moment falls on in the office's zone."""
    return moment.astimezone(tz).strftime(DATE_FORMAT)


def month_day(day: date) -> str:
    """10月1日."""
    return msg("date.month_day", month=day.month, day=day.day)


def date_cn(day: date) -> str:
    """2026年10月1日, as the seed forms write dates."""
    return msg("date.full", year=day.year, month=day.month, day=day.day)
