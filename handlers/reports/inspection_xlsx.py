"""The quarterly inspection report as a workbook: the summary, every unit and every
account in numeric columns (sortable, filterable), the update calendar as a colour
scale, and Excel's own charts for relay timeliness and review times."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from bot.rendering import msg
from bot.reports.common import label, password_label
from bot.reports.xlsx import Book
from handlers.reports.inspection import BUCKETS, Inspection, UnitRow
from handlers.reports.inspection_pdf import attention, cols, kpis, subtitle
from handlers.review.routing import level_label

# the calendar sheet: a column per day up to this many accounts, else per week, and for a
# province (more than WEEKLY_CALENDAR_ACCOUNTS) per unit and week
DAILY_CALENDAR_ACCOUNTS = 3_000
WEEKLY_CALENDAR_ACCOUNTS = 30_000
CHART_UNITS = 30

def unit_header(report: Inspection) -> list[str]:
    per_level = [msg(f"inspection.level_{what}", level=level_label(lv)) for lv in report.levels
                 for what in ("count", "median", "worst")]
    return [*cols("unit", "unit_id", "accounts", "inactive", "updates_count", "per_account_week",
                  "weeks_below_accounts", "gap_over_accounts", "veto_accounts", "relay_on_time",
                  "relay_late", "relay_missed", "relay_open", "relay_median", "relay_worst",
                  "reviewed"),
            *per_level,
            *cols("returns_count", "precheck_errors", "precheck_drafts", "password_ok",
                  "password_overdue", "password_unknown", "filings", "filings_approved",
                  "followups_on_time", "followups_late", "followups_overdue", "followups_open",
                  "zombies")]


def account_header() -> tuple[str, ...]:
    return cols("unit", "account", "platform", "content", "status", "period_updates", "per_week",
                "weeks_below_count", "longest_gap", "gap_limit", "silent_days", "veto",
                "last_update", "password", "zombies")


def _unit(report: Inspection, u: UnitRow) -> list[object]:
    per_week = round(u.updates * 7 / report.elapsed_days / u.accounts, 2) if u.accounts else 0
    times = [value for lv in report.levels for value in (
        u.levels[lv].count, u.levels[lv].median_hours, u.levels[lv].worst_hours)]
    return [u.name, u.id, u.accounts, u.inactive, u.updates, per_week, u.weeks_below,
            u.gap_over, u.veto, u.relay_on_time, u.relay_late, u.relay_missed, u.relay_open,
            u.relay_median_hours, u.relay_worst_hours, u.drafts_reviewed, *times,
            u.returns, u.precheck_errors, u.precheck_drafts, u.password_ok,
            u.password_overdue, u.password_unknown, u.filings, u.filings_approved,
            u.followups_on_time, u.followups_late, u.followups_overdue, u.followups_open,
            u.zombies]


def inspection_xlsx(report: Inspection) -> bytes:
    book = Book(streaming=True)
    units = {u.id: u.name for u in report.units}
    summary = [(msg("inspection.title"), ""), (subtitle(report), ""), ("", ""),
               *kpis(report), ("", ""),
               *((msg("inspection.attention_title"), line) for line in attention(report)),
               ("", ""), (msg("register.head", seq=report.head.count, hash=report.head.hash), "")]
    book.table(msg("inspection.sheet_summary"), cols("metric", "value"), summary, (60, 90))
    header = unit_header(report)
    book.table(msg("inspection.sheet_units"), header,
               [_unit(report, u) for u in [*report.units, report.total]],
               (28, 10, *([10] * (len(header) - 2))))
    book.table(msg("inspection.sheet_accounts"), account_header(), (
        (units.get(a.unit_id, a.unit_id), a.name, label(f"platform.{a.platform}"),
         label(f"registry.content_{a.content}"), label(f"registry.status_{a.status}"), a.updates,
         a.per_week, a.weeks_below, a.longest_gap, a.gap_limit, a.silent_days,
         label("inspection.veto_yes") if a.veto else "", a.last_update,
         password_label(a.password, a.password_overdue_days),
         label("inspection.zombie_close") if a.zombie else "")
        for a in report.accounts), (24, 22, 12, 8, 8, *([9] * 6), 9, 17, 12, 10))
    _calendar(book, report, units)
    _relays(book, report)
    _reviews(book, report)
    book.table(msg("inspection.sheet_reasons"), cols("reason", "count"), report.reasons,
               (60, 10))
    book.table(msg("inspection.sheet_zombies"), cols("unit", "account", "platform", "last_update"),
               [(units.get(a.unit_id, a.unit_id), a.name, label(f"platform.{a.platform}"),
                 a.last_update or msg("inspection.never"))
                for a in report.accounts if a.zombie], (28, 24, 14, 17))
    return book.bytes()


def _calendar(book: Book, report: Inspection, units: dict[str, str]) -> None:
    """Updates per account and day as a colour scale (coarser for very large scopes)."""
    first, days = report.period.first_day, report.period.days
    active = [a for a in report.accounts if a.active]
    offsets = [(monday - first).days for monday in report.weeks]

    def weekly(counts: bytes | bytearray) -> list[int]:
        return [sum(counts[max(0, o):max(0, o + 7)]) for o in offsets]

    week_heads = [msg("inspection.week_head", day=monday.strftime("%m-%d"))
                  for monday in report.weeks]
    if len(active) <= DAILY_CALENDAR_ACCOUNTS:
        heads = [*cols("unit", "account"), *((first + timedelta(days=i)).strftime("%m-%d")
                                   for i in range(days))]
        rows: Iterable[list[Any]] = ([units.get(a.unit_id, a.unit_id), a.name, *a.days]
                                     for a in active)
    elif len(active) <= WEEKLY_CALENDAR_ACCOUNTS:
        heads = [*cols("unit", "account"), *week_heads]
        rows = ([units.get(a.unit_id, a.unit_id), a.name, *weekly(a.days)] for a in active)
    else:
        per_unit: dict[str, bytearray] = {}
        for a in active:
            total = per_unit.setdefault(a.unit_id, bytearray(days))
            for i, n in enumerate(a.days):
                if n:
                    total[i] = min(255, total[i] + n)
        heads = [*cols("unit"), msg("inspection.calendar_accounts"), *week_heads]
        counts = Counter(a.unit_id for a in active)
        rows = ([units.get(u, u), counts[u], *weekly(total)] for u, total in per_unit.items())
    sheet, count = book.table(msg("inspection.sheet_calendar"), heads, rows,
                              (24, 22, *([5] * (len(heads) - 2))))
    if count:
        sheet.conditional_format(1, 2, count, len(heads) - 1, {
            "type": "3_color_scale", "min_type": "num", "min_value": 0, "min_color": "#EEEEEE",
            "mid_type": "num", "mid_value": 1, "mid_color": "#BAE4B3",
            "max_type": "max", "max_color": "#238B45"})


def _relays(book: Book, report: Inspection) -> None:
    units = sorted((u for u in report.units if u.relays),
                   key=lambda u: (u.relay_on_time / u.relays, u.name))
    name = msg("inspection.sheet_relays")
    sheet, count = book.table(name, (*cols("unit"), msg("inspection.relay_on_time"),
                                     msg("inspection.relay_late"), msg("inspection.relay_missed"),
                                     msg("inspection.relay_open"), *cols("median_hours",
                                                                         "worst_hours")),
                              [(u.name, u.relay_on_time, u.relay_late, u.relay_missed,
                                u.relay_open, u.relay_median_hours, u.relay_worst_hours)
                               for u in units], (28, 10, 10, 10, 10, 12, 12))
    if not count:
        return
    shown = min(count, CHART_UNITS)
    chart = book.book.add_chart({"type": "bar", "subtype": "percent_stacked"})
    for col, color in zip(range(1, 5), ("#2E8B57", "#E8A317", "#C8372D", "#C8C8C8"),
                          strict=True):
        chart.add_series({"name": [name, 0, col], "categories": [name, 1, 0, shown, 0],
                          "values": [name, 1, col, shown, col], "fill": {"color": color},
                          "gap": 60})
    chart.set_title({"name": msg("inspection.chart_relay_title",
                                 hours=report.limits["relay"])})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 760, "height": max(300, 22 * shown)})
    sheet.insert_chart(1, 8, chart)


def _reviews(book: Book, report: Inspection) -> None:
    levels = report.total.levels
    name = msg("inspection.sheet_reviews")
    sheet, count = book.table(name, (*cols("waited"), *(level_label(lv) for lv in report.levels)),
                              [(msg(f"inspection.bucket_{i}"),
                                *(levels[lv].buckets()[i] for lv in report.levels))
                               for i in range(len(BUCKETS) + 1)], (14, 12, 12))
    chart = book.book.add_chart({"type": "column"})
    colors = ("#3465A4", "#0096A0", "#7850A0", "#E8A317", "#C8C8C8")
    for col, color in zip(range(1, len(report.levels) + 1), colors, strict=False):
        chart.add_series({"name": [name, 0, col], "categories": [name, 1, 0, count, 0],
                          "values": [name, 1, col, count, col], "fill": {"color": color}})
    chart.set_title({"name": msg("inspection.chart_review_title")})
    chart.set_size({"width": 620, "height": 320})
    sheet.insert_chart(1, 4, chart)
