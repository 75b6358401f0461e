"""The PDF writer every report uses (fpdf2): A4 pages, embedded Noto SC fonts, a footer
naming the document and the audit head, and the few building blocks the reports need.

Imported only when a PDF is written (fpdf2 and the font files are not loaded otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from fpdf import FPDF, FontFace
from fpdf.enums import MethodReturnValue, TableCellFillMode, WrapMode, XPos, YPos

from bot.rendering import msg
from bot.reports.fonts import sans_path

SANS = "sans"
GREY = (235, 235, 235)
INK = (30, 30, 30)
MUTED = (110, 110, 110)


class Document(FPDF):
    """A4 with our fonts; `footer_text` is printed on every page with the page number."""

    def __init__(self, footer_text: str, *, landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font(SANS, "", str(sans_path()))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)
        self.alias_nb_pages()
        self.set_font(SANS, size=9.5)
        self.set_text_color(*INK)
        self.set_creator("govmedia-bot")

    # fpdf2 calls this on every page
    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(SANS, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, msg("reports.pdf_footer", text=self.footer_text, page=self.page_no(),
                            pages=self.str_alias_nb_pages), align="C")
        self.set_text_color(*INK)

    @property
    def body_width(self) -> float:
        return float(self.epw)

    def title_block(self, title: str, subtitle: str = "") -> None:
        self.set_font(SANS, size=17)
        self.multi_cell(0, 9, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font(SANS, size=9)
            self.set_text_color(*MUTED)
            self.multi_cell(0, 5, subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(*INK)
        self.ln(3)
        self.set_font(SANS, size=9.5)

    def heading(self, text: str, *, size: float = 12) -> None:
        if self.will_page_break(24):
            self.add_page()
        self.ln(2)
        self.set_font(SANS, size=size)
        self.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*MUTED)
        self.line(self.l_margin, self.get_y() + 0.5, self.w - self.r_margin, self.get_y() + 0.5)
        self.ln(2.5)
        self.set_font(SANS, size=9.5)

    def para(self, text: str, *, size: float = 9.5, muted: bool = False,
             align: str = "L") -> None:
        self.set_font(SANS, size=size)
        if muted:
            self.set_text_color(*MUTED)
        self.multi_cell(0, size * 0.53, text, align=align, wrapmode=WrapMode.CHAR,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def grid(self, header: Sequence[str] | None, rows: Sequence[Sequence[Any]],
             widths: Sequence[float], *, size: float = 8.5, align: str = "LEFT") -> None:
        """A bordered table across the page (widths are proportions); the header repeats
        on every page it spans."""
        self.set_font(SANS, size=size)
        heading = FontFace(fill_color=GREY)
        with self.table(col_widths=tuple(widths), width=self.epw, text_align=align,
                        line_height=size * 0.5, first_row_as_headings=header is not None,
                        headings_style=heading, wrapmode=WrapMode.CHAR, padding=1.2,
                        cell_fill_mode=TableCellFillMode.NONE) as table:
            if header is not None:
                top = table.row()
                for text in header:
                    top.cell(text)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell("" if value is None else str(value))
        self.set_font(SANS, size=9.5)

    def fast_grid(self, header: Sequence[str], rows: Sequence[Sequence[Any]],
                  widths: Sequence[float], *, size: float = 7.5) -> None:
        """A ruled table of single-line cells (too long: cut with …), the header repeated
        on each page. Much faster than `grid` (text is placed, not flowed): for tables
        of thousands of rows."""
        widths = [w * self.epw / sum(widths) for w in widths]
        height = size * 0.42 + 1.8
        self.set_font(SANS, size=size)
        self.set_draw_color(*MUTED)
        self.set_line_width(0.15)
        heads = [cast(list[str], self.multi_cell(
            w - 1.2, size * 0.42, text, dry_run=True, wrapmode=WrapMode.CHAR,
            output=MethodReturnValue.LINES))[:2] for text, w in zip(header, widths, strict=True)]
        top = self._grid_header(heads, widths, height, size)
        y = top
        for values in rows:
            if y + height > self.page_break_trigger:
                self._grid_rules(widths, top, y)
                # fpdf2 annotates orientation as str but takes its own PageOrientation
                self.add_page(orientation=self.cur_orientation)  # type: ignore[arg-type]
                top = y = self._grid_header(heads, widths, height, size)
            x = self.l_margin
            for i, (value, width) in enumerate(zip(values, widths, strict=True)):
                text = self.clip("" if value is None else str(value), width - 1.6)
                dx = 0.8 if i == 0 else (width - self.get_string_width(text)) / 2
                self.text(x + dx, y + height - 1.25, text)
                x += width
            y += height
            self.line(self.l_margin, y, self.l_margin + self.epw, y)
        self._grid_rules(widths, top, y)
        self.set_xy(self.l_margin, y + 1.5)
        self.set_font(SANS, size=9.5)

    def _grid_header(self, heads: Sequence[Sequence[str]], widths: Sequence[float],
                     row: float, size: float) -> float:
        """The header cells, each in up to two lines, centred; returns the y below it."""
        line = size * 0.42
        height = row + line * (max(len(h) for h in heads) - 1) + 0.6
        y = max(self.get_y(), self.t_margin)
        self.set_fill_color(*GREY)
        self.rect(self.l_margin, y, self.epw, height, style="DF")
        self.set_font(SANS, size=size)
        x = self.l_margin
        for lines, width in zip(heads, widths, strict=True):
            top = y + (height - line * len(lines)) / 2 + line - 0.4
            for i, text in enumerate(lines):
                clipped = self.clip(text.strip(), width - 1.2)
                self.text(x + (width - self.get_string_width(clipped)) / 2, top + i * line,
                          clipped)
            x += width
        return y + height

    def _grid_rules(self, widths: Sequence[float], top: float, bottom: float) -> None:
        x = self.l_margin
        for width in (0, *widths):
            x += width
            self.line(x, top - (0 if width else 0), x, bottom)
        self.line(self.l_margin, top, self.l_margin, bottom)

    def clip(self, text: str, width: float) -> str:
        """text, shortened with … to fit width at the current font size."""
        if self.get_string_width(text) <= width:
            return text
        low, high = 0, len(text)
        while low < high:
            mid = (low + high + 1) // 2
            if self.get_string_width(text[:mid] + "…") <= width:
                low = mid
            else:
                high = mid - 1
        return text[:low] + "…"

    def bytes(self) -> bytes:
        return bytes(self.output())
