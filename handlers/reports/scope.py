"""Which units a report covers and the period it spans, in the office's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import DomainError
from bot.rendering import msg
from models.org import Unit

_QUARTER = re.compile(r"^(\d{4})\s*[Qq季]\s*([1-4])$")


@dataclass(frozen=True)
class Scope:
    """A unit and everything below it; the whole organisation when unit is None."""

    unit: Unit | None
    unit_ids: tuple[str, ...] | None  # None: every unit
    label: str


async def scope_of(unit_id: str | None) -> Scope:
    if unit_id is None:
        return Scope(None, None, msg("reports.scope_all"))
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise DomainError("reports.unknown_unit", unit=unit_id)
    ids = (unit.id, *(u.id for u in await unit.descendants(active=None)))
    return Scope(unit, ids, msg("reports.scope_unit", unit=unit.name, below=len(ids) - 1))


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC-aware datetimes, from local midnights; `label` for people."""

    start: datetime
    end: datetime
    label: str
    first_day: date
    last_day: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def period_of(first: date, last: date, tz: ZoneInfo, label: str = "") -> Period:
    if last < first:
        raise DomainError("reports.bad_range", first=first.isoformat(), last=last.isoformat())
    # in UTC, as every stored time is: SQLite compares a filter's datetime as text
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return Period(start, end, label or msg("reports.range_label", first=first.isoformat(),
                                            last=last.isoformat()), first, last)


def quarter_of(text: str, tz: ZoneInfo) -> Period:
    """'2026Q4' → 2026-10-01 … 2026-12-31 (R-INS-1: at least quarterly)."""
    match = _QUARTER.match(text.strip())
    if not match:
        raise DomainError("reports.bad_quarter", value=text[:20])
    year, n = int(match[1]), int(match[2])
    first = date(year, (n - 1) * 3 + 1, 1)
    nxt = date(year + 1, 1, 1) if n == 4 else date(year, first.month + 3, 1)
    return period_of(first, nxt - timedelta(days=1), tz,
                     msg("reports.quarter_label", year=year, n=n))


def quarter_name(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"
