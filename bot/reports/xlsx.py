"""The spreadsheet writer reports use (XlsxWriter): bordered, wrapped, frozen tables,
streamed row by row (constant memory) for the big ones, with Excel's own charts.

XlsxWriter only writes, and does it about twice as fast as openpyxl's write-only mode
(bench/bench_reports.py); openpyxl stays for reading spreadsheets (`accounts import`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

FONT = "宋体"
A4 = 9


class Book:
    """One workbook in memory; `streaming` writes each row once, in order (big sheets)."""

    def __init__(self, *, streaming: bool = False) -> None:
        self.buffer = io.BytesIO()
        # strings stay strings: a title like "2026" or "=…" is never a number or a formula
        self.book = xlsxwriter.Workbook(self.buffer, {"constant_memory": streaming,
                                                     "strings_to_urls": False,
                                                     "strings_to_formulas": False,
                                                     "strings_to_numbers": False,
                                                     "nan_inf_to_errors": True})
        base = {"font_name": FONT, "font_size": 10, "valign": "top", "text_wrap": True}
        self.text = self.book.add_format({**base, "border": 1, "border_color": "#808080"})
        self.plain = self.book.add_format({**base})
        self.head = self.book.add_format({**base, "bold": True, "border": 1,
                                          "border_color": "#808080", "bg_color": "#E8E8E8",
                                          "align": "center", "valign": "vcenter"})
        self.title = self.book.add_format({"font_name": FONT, "font_size": 16, "bold": True,
                                           "align": "center", "valign": "vcenter"})

    def sheet(self, name: str, *, landscape: bool = True) -> Worksheet:
        sheet = self.book.add_worksheet(name)
        sheet.set_paper(A4)
        if landscape:
            sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.center_horizontally()
        return sheet

    def table(self, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
              widths: Sequence[float]) -> tuple[Worksheet, int]:
        """A sheet with a bold header row, frozen under it, filterable, printed with its
        grid; returns the sheet and the number of data rows. Data cells carry no format of
        their own (the column's applies): a cell format triples the time per cell, and a
        province's sheet has a million cells."""
        sheet = self.sheet(name)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width, self.plain)
        sheet.write_row(0, 0, header, self.head)
        sheet.freeze_panes(1, 0)
        sheet.hide_gridlines(0)  # shown on screen and printed
        sheet.repeat_rows(0)
        count = 0
        for count, row in enumerate(rows, start=1):  # noqa: B007
            sheet.write_row(count, 0, row)
        sheet.autofilter(0, 0, count, len(header) - 1)
        return sheet, count

    def bytes(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def cell(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


__all__ = ["Book", "Format", "Worksheet", "cell"]
