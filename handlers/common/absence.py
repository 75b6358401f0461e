"""Who is away (请假) at a moment, and local days as the stored [starts_at, ends_at) span."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import clock
from bot.fixed import Fixed
from models.org import Absence


async def away_at(person_ids: Iterable[str], at: datetime | None = None) -> dict[str, Absence]:
    """The absence covering `at` (now by default) of each of these people who is away."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    moment = at or clock.utcnow()
    rows = await _AWAY(ids, moment)
    found: dict[str, Absence] = {}
    for row in rows:
        found.setdefault(row.person_id, row)
    return found


# routing asks this for every candidate reviewer (fixed SQL, issue 19)
_AWAY: Fixed[list[Absence]] = Fixed(
    lambda ids, at: Absence.filter(person_id__in=ids, starts_at__lte=at, ends_at__gt=at)
    .order_by("-created_at", "-id"),
    lambda ids, at: [*ids, at, at])


def span_of(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local days first..last (inclusive) as UTC [start, end)."""
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end
