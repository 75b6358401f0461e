"""Workdays on the official calendar with 调休, and the Monday–Friday fallback."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot import workdays


def test_national_day_week_with_tiaoxiu() -> None:
    """2024: Sun 29 Sep and Sat 12 Oct are workdays (调休); 1–7 Oct are off."""
    assert workdays.is_workday(date(2024, 9, 29))
    assert not workdays.is_workday(date(2024, 10, 1))
    assert workdays.add_workdays(date(2024, 9, 27), 3) == date(2024, 10, 8)
    assert workdays.add_workdays(date(2024, 9, 27), 7) == date(2024, 10, 12)
    assert workdays.add_workdays(date(2024, 9, 27), 0) == date(2024, 9, 27)


def test_add_months_clamps_to_month_end() -> None:
    assert workdays.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert workdays.add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_fallback_beyond_known_years_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    workdays.reset_warning()
    with caplog.at_level(logging.WARNING, logger="bot.workdays"):
        assert workdays.add_workdays(date(2099, 1, 2), 2) == date(2099, 1, 6)  # Fri → Tue
        assert workdays.is_workday(date(2099, 10, 1))  # a Thursday: no calendar, so a workday
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    workdays.reset_warning()
