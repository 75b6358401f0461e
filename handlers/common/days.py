"""Days as people type them in chat: 2025-10-01, 2025年10月1日, 10月1日, 10-1, 今天/明天,
and spans of them (10月1日-10月7日, 10月1日至7日)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.dispatcher import normalize

_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_SHORT = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DAY_ONLY = re.compile(r"^(\d{1,2})\s*日$")
_SPAN_WORDS = re.compile(r"\s*(?:至|到|~|—|–)\s*")
RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
NEAR_DAYS = 60  # a date without a year is the nearest one on the side the caller expects


def _with_year(month: int, day: int, today: date, future: bool) -> date | None:
    try:
        found = date(today.year, month, day)
    except ValueError:
        return None
    if future and found < today - timedelta(days=NEAR_DAYS):
        return found.replace(year=found.year + 1)
    if not future and found > today + timedelta(days=NEAR_DAYS):
        return found.replace(year=found.year - 1)
    return found


def parse_day(text: str, today: date, *, future: bool = True) -> date | None:
    """One day, or None. A date without a year is this year's, unless that is long past
    (future=True: rosters) or far ahead (future=False: an issue date)."""
    word = normalize(text)
    if word in RELATIVE:
        return today + timedelta(days=RELATIVE[word])
    if match := _FULL.match(word):
        try:
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
    if match := _SHORT.match(word):
        return _with_year(int(match[1]), int(match[2]), today, future)
    return None


def _end(text: str, start: date, today: date) -> date | None:
    if match := _DAY_ONLY.match(normalize(text)):  # 10月1日至7日
        try:
            return start.replace(day=int(match[1]))
        except ValueError:
            return None
    found = parse_day(text, today)
    if found is not None and found < start and not _FULL.match(normalize(text)):
        found = found.replace(year=found.year + 1)  # 12月30日-1月2日
    return found


def parse_span(text: str, today: date) -> tuple[date, date] | None:
    """A day or a span of days (first, last), in the future sense; None if not one."""
    word = normalize(text)
    single = parse_day(word, today)
    if single is not None:
        return single, single
    parts = _SPAN_WORDS.split(word)
    candidates = [tuple(parts)] if len(parts) == 2 else []
    # "10-1-10-7" or "10月1日-10月7日": try every hyphen as the separator
    candidates += [(word[:i], word[i + 1:]) for i, c in enumerate(word) if c == "-"]
    for left, right in candidates:
        start = parse_day(left, today)
        end = _end(right, start, today) if start else None
        if start and end and end >= start:
            return start, end
    return None


def days_of(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
