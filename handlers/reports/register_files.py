"""The register as a PDF (landscape table) or a workbook (one streamed sheet)."""

from __future__ import annotations

from bot.rendering import msg
from handlers.reports.register import Register, header

# PDF columns: COLUMNS without 稿件号's neighbours that the XLSX keeps for filtering
PDF_COLUMNS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 14, 15)
PDF_WIDTHS = (8, 10, 18, 22, 24, 36, 10, 13, 13, 13, 8, 8, 10, 36)
XLSX_WIDTHS = (6, 7, 17, 24, 24, 40, 9, 12, 10, 17, 10, 17, 7, 8, 10, 40)


def _title(reg: Register) -> str:
    return msg("register.title", scope=reg.scope.label)


def _subtitle(reg: Register) -> str:
    return msg("register.subtitle", period=reg.period.label, count=len(reg.rows),
               generated=reg.generated, seq=reg.head.count, hash=reg.head.hash[:16])


def register_pdf(reg: Register) -> bytes:
    from bot.reports.pdf import Document

    doc = Document(msg("register.footer", period=reg.period.label, seq=reg.head.count,
                       hash=reg.head.hash[:16]), landscape=True)
    doc.set_title(_title(reg))
    doc.add_page()
    doc.title_block(_title(reg), _subtitle(reg))
    if not reg.rows:
        doc.para(msg("register.empty"), muted=True)
    else:
        heads = header()
        doc.grid([heads[i] for i in PDF_COLUMNS],
                 [[row[i] for i in PDF_COLUMNS] for row in reg.rows], PDF_WIDTHS, size=7)
    return doc.bytes()


def register_xlsx(reg: Register) -> bytes:
    from bot.reports.xlsx import Book

    book = Book(streaming=True)
    book.table(msg("register.sheet"), header(), reg.rows, XLSX_WIDTHS)
    book.table(msg("register.sheet_about"), ("",), [(_title(reg),), (_subtitle(reg),), (
        msg("register.head", seq=reg.head.count, hash=reg.head.hash),)], (120,))
    return book.bytes()
