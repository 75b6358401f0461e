"""Charts drawn straight into the PDF with fpdf2's vector primitives: crisp at any zoom,
in the document's own embedded font, and fast enough to draw a calendar for every
account. Three shapes cover the inspection report: a calendar heatmap (weeks × weekdays),
100 % stacked horizontal bars, and grouped vertical bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.reports.pdf import INK, MUTED, SANS, Document

Color = tuple[int, int, int]
GREEN: Color = (46, 139, 87)
AMBER: Color = (232, 163, 23)
RED: Color = (200, 55, 45)
GREY: Color = (200, 200, 200)
BLUE: Color = (52, 101, 164)
TEAL: Color = (0, 150, 160)
EMPTY: Color = (238, 238, 238)
SERIES: tuple[Color, ...] = (BLUE, TEAL, (120, 80, 160), AMBER, GREY)  # bars side by side
# calendar shades: no update, 1, 2, 3 or more
HEAT: tuple[Color, ...] = (EMPTY, (186, 228, 179), (116, 196, 118), (35, 139, 69))


def heat_color(count: int) -> Color:
    return HEAT[min(count, len(HEAT) - 1)]


def calendar(doc: Document, x: float, y: float, cell: float, days: bytes | bytearray,
             first_day: date, weeks: Sequence[date], last_day: date) -> None:
    """One account's calendar: a column per week (Mondays in `weeks`), Monday at the top;
    days outside [first_day, last_day] are left blank. Drawn as one grey bar per week,
    the days with updates over it, and white rules between the days (30 shapes instead of
    90 squares: a province's worth of calendars stays fast)."""
    gap = cell * 0.18
    doc.set_fill_color(*EMPTY)
    for col, monday in enumerate(weeks):
        rows = [r for r in range(7) if first_day <= monday + timedelta(days=r) <= last_day]
        if rows:
            doc.rect(x + col * cell, y + rows[0] * cell, cell - gap,
                     (rows[-1] - rows[0] + 1) * cell - gap, style="F")
    for col, monday in enumerate(weeks):
        for row in range(7):
            i = (monday - first_day).days + row
            if 0 <= i < len(days) and days[i] and monday + timedelta(days=row) <= last_day:
                doc.set_fill_color(*heat_color(days[i]))
                doc.rect(x + col * cell, y + row * cell, cell - gap, cell - gap, style="F")
    doc.set_draw_color(255, 255, 255)
    doc.set_line_width(gap)
    for row in range(1, 7):
        line_y = y + row * cell - gap / 2
        doc.line(x, line_y, x + len(weeks) * cell, line_y)
    doc.set_line_width(0.2)


def calendar_legend(doc: Document, x: float, y: float, cell: float, labels: Sequence[str]) -> None:
    doc.set_font(SANS, size=7)
    doc.set_text_color(*MUTED)
    for i, label in enumerate(labels):
        doc.set_fill_color(*HEAT[i])
        doc.rect(x, y + 0.4, cell, cell, style="F")
        doc.set_xy(x + cell + 0.8, y)
        doc.cell(doc.get_string_width(label) + 1, cell + 0.8, label)
        x += cell + doc.get_string_width(label) + 4
    doc.set_text_color(*INK)


def stacked_bars(doc: Document, x: float, y: float, width: float,
                 rows: Sequence[tuple[str, Sequence[int]]], colors: Sequence[Color],
                 legend: Sequence[str], *, label_width: float = 42, bar: float = 4.2) -> float:
    """A 100 % bar per row (its parts in `colors`), the row's total at its end; returns
    the y below the chart."""
    doc.set_font(SANS, size=7.5)
    lx = x
    for color, name in zip(colors, legend, strict=True):
        doc.set_fill_color(*color)
        doc.rect(lx, y + 0.6, 3, 3, style="F")
        doc.set_xy(lx + 3.6, y)
        doc.cell(doc.get_string_width(name) + 1, 4.2, name)
        lx += doc.get_string_width(name) + 8
    y += 6.5
    span = width - label_width - 14
    for label, parts in rows:
        total = sum(parts)
        doc.set_xy(x, y)
        doc.cell(label_width - 1.5, bar, _fit(doc, label, label_width - 2), align="R")
        bx = x + label_width
        if total == 0:
            doc.set_fill_color(*EMPTY)
            doc.rect(bx, y + 0.3, span, bar - 0.6, style="F")
        for part, color in zip(parts, colors, strict=True):
            if part:
                w = span * part / total
                doc.set_fill_color(*color)
                doc.rect(bx, y + 0.3, w, bar - 0.6, style="F")
                bx += w
        doc.set_xy(x + label_width + span + 1.5, y)
        doc.cell(12, bar, str(total))
        y += bar + 1.2
    return y


def grouped_bars(doc: Document, x: float, y: float, width: float, height: float,
                 groups: Sequence[str], series: Sequence[tuple[str, Sequence[int], Color]]
                 ) -> float:
    """Vertical bars, one group per label in `groups`, one bar per series; counts on top.
    Returns the y below the chart."""
    doc.set_font(SANS, size=7.5)
    lx = x
    for name, _, color in series:
        doc.set_fill_color(*color)
        doc.rect(lx, y + 0.6, 3, 3, style="F")
        doc.set_xy(lx + 3.6, y)
        doc.cell(doc.get_string_width(name) + 1, 4.2, name)
        lx += doc.get_string_width(name) + 8
    top = y + 8
    base = top + height
    peak = max([max(values, default=0) for _, values, _ in series] + [1])
    slot = width / len(groups)
    bar = min(8.0, slot * 0.7 / len(series))
    doc.set_draw_color(*MUTED)
    doc.line(x, base, x + width, base)
    for g, group in enumerate(groups):
        gx = x + g * slot + (slot - bar * len(series)) / 2
        for s, (_, values, color) in enumerate(series):
            value = values[g]
            h = height * value / peak
            doc.set_fill_color(*color)
            if value:
                doc.rect(gx + s * bar, base - h, bar * 0.92, h, style="F")
            doc.set_font(SANS, size=6.5)
            doc.set_xy(gx + s * bar - 2, base - h - 3.6)
            doc.cell(bar + 4, 3.4, str(value), align="C")
        doc.set_font(SANS, size=7.5)
        doc.set_xy(x + g * slot, base + 0.8)
        doc.cell(slot, 4, group, align="C")
    return base + 6


def _fit(doc: Document, text: str, width: float) -> str:
    """Shorten text with an ellipsis until it fits width at the current font."""
    if doc.get_string_width(text) <= width:
        return text
    while text and doc.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


fit_text = _fit
