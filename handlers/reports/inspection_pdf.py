"""The quarterly inspection report as a PDF: a one-page summary, then the units, the
charts, each unit's accounts with their update calendars, and the proposals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.rendering import msg
from bot.reports import charts
from bot.reports.common import label, password_label
from bot.reports.pdf import MUTED, SANS, Document
from handlers.reports.inspection import BUCKETS, AccountRow, Inspection, UnitRow
from handlers.review.routing import level_label

ACCOUNT_LIMIT = 400  # account rows (and calendars) in the PDF; the workbook has them all
CHART_UNITS = 30  # units in the relay chart: the least punctual first
ATTENTION_LINES = 7
TILE_COLUMNS = 6
CELL = 1.55  # mm, one day in a calendar


def inspection_pdf(report: Inspection) -> bytes:
    doc = Document(msg("inspection.footer", period=report.period.label, seq=report.head.count,
                       hash=report.head.hash[:16]))
    doc.set_title(msg("inspection.title"))
    doc.add_page()
    _summary(doc, report)
    doc.add_page(orientation="L")
    _units(doc, report)
    doc.add_page()
    _charts(doc, report)
    _accounts(doc, report)
    _reasons_and_zombies(doc, report)
    _notes(doc, report)
    return doc.bytes()


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def kpis(report: Inspection) -> list[tuple[str, str]]:
    """The summary's indicators: (label with its rule, value); the workbook uses them too."""
    t, lim = report.total, report.limits
    relays_done = t.relay_on_time + t.relay_late + t.relay_missed
    due_followups = t.followups_on_time + t.followups_late + t.followups_overdue
    per_week = round(t.updates * 7 / report.elapsed_days / max(1, t.accounts), 1)
    rows = [
        (msg("inspection.kpi_accounts"), msg("inspection.kpi_accounts_value",
                                             active=t.accounts, inactive=t.inactive)),
        (msg("inspection.kpi_updates"), msg("inspection.kpi_updates_value", updates=t.updates,
                                            per_week=per_week)),
        (msg("inspection.kpi_weeks_below", n=lim["per_week"]), str(t.weeks_below)),
        (msg("inspection.kpi_gap_over", text=lim["text"], video=lim["video"]), str(t.gap_over)),
        (msg("inspection.kpi_veto", days=lim["veto"]), str(t.veto)),
        (msg("inspection.kpi_relay", hours=lim["relay"]),
         msg("inspection.kpi_relay_value", on_time=t.relay_on_time, total=relays_done,
             rate=pct(t.relay_on_time, relays_done), late=t.relay_late, missed=t.relay_missed,
             open=t.relay_open, median=hours(t.relay_median_hours))),
        (msg("inspection.kpi_reviewed"), msg("inspection.kpi_reviewed_value",
                                             drafts=t.drafts_reviewed, returns=t.returns)),
    ]
    for level in report.levels:
        times = t.levels[level]
        rows.append((msg("inspection.kpi_review_time", level=level_label(level)),
                     msg("inspection.kpi_review_time_value", count=times.count,
                         median=hours(times.median_hours), worst=hours(times.worst_hours))))
    rows += [
        (msg("inspection.kpi_precheck"), msg("inspection.kpi_precheck_value",
                                             errors=t.precheck_errors,
                                             drafts=t.precheck_drafts)),
        (msg("inspection.kpi_password", months=lim["password"]),
         msg("inspection.kpi_password_value", ok=t.password_ok, overdue=t.password_overdue,
             unknown=t.password_unknown)),
        (msg("inspection.kpi_filings"), msg("inspection.kpi_filings_value", filings=t.filings,
                                            approved=t.filings_approved,
                                            pending=t.filings_pending)),
        (msg("inspection.kpi_followups"),
         msg("inspection.kpi_followups_value", on_time=t.followups_on_time, due=due_followups,
             rate=pct(t.followups_on_time, due_followups), late=t.followups_late,
             overdue=t.followups_overdue, open=t.followups_open)),
        (msg("inspection.kpi_zombies", months=lim["period"]), str(t.zombies)),
    ]
    return rows


def subtitle(report: Inspection) -> str:
    return msg("inspection.subtitle", scope=report.scope.label, period=report.period.label,
               running=report.running, cutoff=report.cutoff_day.isoformat(),
               policy=report.policy, generated=report.generated)


def _summary(doc: Document, report: Inspection) -> None:
    doc.title_block(msg("inspection.title"), subtitle(report))
    doc.heading(msg("inspection.summary_title"))
    doc.grid(None, kpis(report), (62, 112), size=8.5)
    doc.heading(msg("inspection.attention_title"))
    lines = attention(report)
    for line in lines or [msg("inspection.attention_none")]:
        doc.para("· " + line, size=9)
    doc.ln(2)
    doc.para(msg("inspection.summary_note", seq=report.head.count, hash=report.head.hash),
             size=7.5, muted=True)


def _names(rows: Sequence[AccountRow], limit: int = 4) -> str:
    return msg("inspection.names", names=[r.name for r in rows[:limit]], n=len(rows),
               more=len(rows) > limit)


def attention(report: Inspection) -> list[str]:
    """The few findings a supervisor acts on first, most serious first."""
    active = [a for a in report.accounts if a.active]
    lines = []
    veto = [a for a in active if a.veto]
    if veto:
        lines.append(msg("inspection.att_veto", n=len(veto), names=_names(veto),
                         days=report.limits["veto"]))
    zombies = [a for a in active if a.zombie]
    if zombies:
        lines.append(msg("inspection.att_zombies", n=len(zombies), names=_names(zombies)))
    late_units = sorted((u for u in report.units if u.relay_late + u.relay_missed),
                        key=lambda u: -(u.relay_late + u.relay_missed))
    if late_units:
        lines.append(msg("inspection.att_relay", n=len(late_units),
                         names=[u.name for u in late_units[:3]],
                         missed=report.total.relay_missed, late=report.total.relay_late))
    gap = [a for a in active if a.gap_over and not a.veto]
    if gap:
        lines.append(msg("inspection.att_gap", n=len(gap), names=_names(gap)))
    pw = [a for a in active if a.password == "overdue"]
    if pw:
        lines.append(msg("inspection.att_password", n=len(pw), names=_names(pw)))
    if report.total.followups_overdue:
        lines.append(msg("inspection.att_followups", n=report.total.followups_overdue))
    slow = [(lv, report.total.levels[lv]) for lv in report.levels]
    slow = [(lv, t) for lv, t in slow if t.worst_hours is not None and t.worst_hours > 72]
    if slow:
        lines.append(msg("inspection.att_slow", levels=[
            {"level": level_label(lv), "hours": f"{t.worst_hours:g}"} for lv, t in slow]))
    return lines[:ATTENTION_LINES]


def col(name: str) -> str:
    """A column head of the report (inspection.col.*), shared by the PDF and the workbook."""
    return label(f"inspection.col.{name}")


def cols(*names: str) -> tuple[str, ...]:
    return tuple(col(name) for name in names)


def unit_header(report: Inspection) -> list[str]:
    return [*cols("unit", "accounts", "updates", "per_account_week", "weeks_below", "gap_over",
                  "veto", "relay_split", "relay_hours", "reviewed"),
            *(msg("inspection.level_times", level=level_label(lv)) for lv in report.levels),
            *cols("returns", "precheck_errors", "password_overdue", "followups_split",
                  "zombies")]


def unit_values(report: Inspection, u: UnitRow) -> list[object]:
    per_week = round(u.updates * 7 / report.elapsed_days / u.accounts, 1) if u.accounts else 0
    return [u.name, u.accounts, u.updates, per_week, u.weeks_below, u.gap_over, u.veto,
            f"{u.relay_on_time}/{u.relay_late}/{u.relay_missed}",
            f"{hours(u.relay_median_hours)}/{hours(u.relay_worst_hours)}",
            u.drafts_reviewed,
            *(f"{hours(u.levels[lv].median_hours)}/{hours(u.levels[lv].worst_hours)}"
              for lv in report.levels),
            u.returns, u.precheck_errors, u.password_overdue,
            f"{u.followups_on_time}/{u.followups_late + u.followups_overdue}", u.zombies]


def _units(doc: Document, report: Inspection) -> None:
    doc.heading(msg("inspection.units_title"))
    rows = [unit_values(report, u) for u in [*report.units, report.total]]
    widths = (34, 11, 10, 11, 11, 11, 11, 19, 19, 11, *([17] * len(report.levels)), 9, 11, 11,
              17, 11)
    doc.fast_grid(unit_header(report), rows, widths, size=6.5)


def _charts(doc: Document, report: Inspection) -> None:
    doc.heading(msg("inspection.chart_relay_title", hours=report.limits["relay"]))
    units = [u for u in report.units if u.relays]
    units.sort(key=lambda u: (u.relay_on_time / u.relays, u.name))
    if units:
        y = charts.stacked_bars(
            doc, doc.l_margin, doc.get_y(), doc.body_width,
            [(u.name, (u.relay_on_time, u.relay_late, u.relay_missed, u.relay_open))
             for u in units[:CHART_UNITS]],
            (charts.GREEN, charts.AMBER, charts.RED, charts.GREY),
            [msg("inspection.relay_on_time"), msg("inspection.relay_late"),
             msg("inspection.relay_missed"), msg("inspection.relay_open")])
        doc.set_y(y + 1)
        if len(units) > CHART_UNITS:
            doc.para(msg("inspection.chart_more_units", shown=CHART_UNITS, n=len(units)),
                     size=7.5, muted=True)
    else:
        doc.para(msg("inspection.no_relays"), muted=True)
    doc.heading(msg("inspection.chart_review_title"))
    total = report.total.levels
    if any(total[lv].count for lv in report.levels):
        labels = [msg(f"inspection.bucket_{i}") for i in range(len(BUCKETS) + 1)]
        y = charts.grouped_bars(doc, doc.l_margin, doc.get_y(), doc.body_width, 38, labels,
                                [(level_label(lv), total[lv].buckets(), color)
                                 for lv, color in zip(report.levels, charts.SERIES,
                                                      strict=False)])
        doc.set_y(y + 2)
    else:
        doc.para(msg("inspection.no_reviews"), muted=True)


def shown_accounts(report: Inspection) -> tuple[list[AccountRow], int]:
    """All accounts when they fit, else those needing attention first (up to the limit)."""
    accounts = report.accounts
    if len(accounts) <= ACCOUNT_LIMIT:
        return accounts, 0
    flagged = [a for a in accounts if a.attention][:ACCOUNT_LIMIT]
    return flagged, len(accounts) - len(flagged)


def account_header() -> tuple[str, ...]:
    return cols("account", "platform", "updates", "per_week", "weeks_below_of", "gap_and_limit",
                "silent_days", "veto", "last_update", "password", "zombie")


def account_values(a: AccountRow) -> list[object]:
    if not a.active:
        return [a.name, label(f"platform.{a.platform}"), a.updates, "", "", "", "", "",
                a.last_update, label(f"registry.status_{a.status}"), ""]
    return [a.name, label(f"platform.{a.platform}"), a.updates, a.per_week,
            f"{a.weeks_below}/{a.weeks_counted}",
            f"{a.longest_gap}/{a.gap_limit}" + (" ▲" if a.gap_over else ""), a.silent_days,
            label("inspection.veto_yes") if a.veto else "", a.last_update,
            password_label(a.password, a.password_overdue_days),
            label("inspection.zombie_close") if a.zombie else ""]


def _accounts(doc: Document, report: Inspection) -> None:
    shown, hidden = shown_accounts(report)
    doc.heading(msg("inspection.accounts_title"))
    if hidden:
        doc.para(msg("inspection.accounts_limited", shown=len(shown), hidden=hidden),
                 size=8, muted=True)
    names = {u.id: u.name for u in report.units}
    by_unit: dict[str, list[AccountRow]] = {}
    for a in shown:
        by_unit.setdefault(a.unit_id, []).append(a)
    for unit_id, rows in by_unit.items():
        doc.heading(names.get(unit_id, unit_id), size=10.5)
        doc.fast_grid(account_header(), [account_values(a) for a in rows],
                      (30, 18, 9, 9, 12, 18, 14, 10, 22, 18, 12), size=7)
        _tiles(doc, report, [a for a in rows if a.active])


def _tiles(doc: Document, report: Inspection, rows: Sequence[AccountRow]) -> None:
    """Each account's update calendar, six to a row (weeks across, Monday at the top)."""
    if not rows:
        return
    width = doc.body_width / TILE_COLUMNS
    height = 7 * CELL + 7.5
    doc.ln(1.5)
    charts.calendar_legend(doc, doc.l_margin, doc.get_y(), 2.6,
                           [msg(f"inspection.heat_{i}") for i in range(4)])
    doc.ln(5)
    last = report.cutoff_day
    for i, a in enumerate(rows):
        if i % TILE_COLUMNS == 0:
            if doc.will_page_break(height):
                doc.add_page()
            y = doc.get_y()
        x = doc.l_margin + (i % TILE_COLUMNS) * width
        doc.set_font(SANS, size=6.5)
        if a.veto:
            doc.set_text_color(*charts.RED)
        doc.set_xy(x, y)
        doc.cell(width - 1, 3.2, charts.fit_text(doc, a.name, width - 2))
        doc.set_text_color(*MUTED)
        doc.set_xy(x, y + 3.2)
        doc.cell(width - 1, 2.8, msg("inspection.tile_line", updates=a.updates,
                                     gap=a.longest_gap))
        doc.set_text_color(0, 0, 0)
        charts.calendar(doc, x, y + 6.4, CELL, a.days, report.period.first_day, report.weeks,
                        last)
        if i % TILE_COLUMNS == TILE_COLUMNS - 1 or i == len(rows) - 1:
            doc.set_y(y + height)


def _reasons_and_zombies(doc: Document, report: Inspection) -> None:
    doc.heading(msg("inspection.reasons_title"))
    if report.reasons:
        doc.grid(cols("reason", "count"), report.reasons, (150, 24), size=8)
    else:
        doc.para(msg("inspection.no_returns"), muted=True)
    zombies = [a for a in report.accounts if a.zombie]
    doc.heading(msg("inspection.zombies_title", months=report.limits["period"]))
    if zombies:
        names = {u.id: u.name for u in report.units}
        doc.grid(cols("unit", "account", "platform", "last_update", "advice"),
                 [(names.get(a.unit_id, a.unit_id), a.name, label(f"platform.{a.platform}"),
                   a.last_update or msg("inspection.never"), msg("inspection.zombie_advice"))
                  for a in zombies], (40, 36, 22, 28, 48), size=8)
    else:
        doc.para(msg("inspection.no_zombies"), muted=True)


def _notes(doc: Document, report: Inspection) -> None:
    doc.heading(msg("inspection.notes_title"))
    lim = report.limits
    doc.para(msg("inspection.notes", text=lim["text"], video=lim["video"],
                 per_week=lim["per_week"], veto=lim["veto"], relay=lim["relay"],
                 password=lim["password"], period=lim["period"],
                 first=report.period.first_day.isoformat(),
                 cutoff=(report.cutoff - timedelta(seconds=1)).date().isoformat(),
                 seq=report.head.count, hash=report.head.hash), size=8)
