"""The review record as a workbook: the seed form on the first sheet, the record after."""

from __future__ import annotations

from bot.rendering import msg
from bot.reports.xlsx import Book, Worksheet
from handlers.reports.record import (
    Record,
    Signature,
    action_label,
    category_boxes,
    label,
    labels,
)

FORM_ROW_HEIGHT = 60


def record_xlsx(record: Record) -> bytes:
    book = Book()
    sheet = book.sheet(msg("records.sheet_form"), landscape=False)
    for col, width in enumerate((16, 30, 16, 30)):
        sheet.set_column(col, col, width)
    sheet.merge_range(0, 0, 0, 3, record.form_title, book.title)
    sheet.set_row(0, 32)
    form = _Form(book, sheet)
    if record.form == "002":
        _form_002(form, record)
    else:
        _form_000(form, record)
    form.line(msg("records.form_note_" + record.form))
    form.line(msg("records.form_generated", generated=record.generated, seq=record.head.count,
                  hash=record.head.hash, policy=record.policy), height=30)
    _record_sheets(book, record)
    return book.bytes()


class _Form:
    """Rows of label / value pairs in columns A–D; a lone value spans to D."""

    def __init__(self, book: Book, sheet: Worksheet) -> None:
        self.book, self.sheet, self.row = book, sheet, 1

    def pairs(self, *cells: str, height: float = 0) -> None:
        for i, text in enumerate(cells):
            fmt = self.book.head if i % 2 == 0 else self.book.text
            if i == len(cells) - 1 and i < 3:
                self.sheet.merge_range(self.row, i, self.row, 3, text, fmt)
            else:
                self.sheet.write(self.row, i, text, fmt)
        if height:
            self.sheet.set_row(self.row, height)
        self.row += 1

    def line(self, text: str, *, height: float = 0) -> None:
        self.sheet.merge_range(self.row, 0, self.row, 3, text, self.book.plain)
        if height:
            self.sheet.set_row(self.row, height)
        self.row += 1


def _sign(sig: Signature, word: str) -> str:
    if sig.waiting:
        return msg("records.sign_waiting", name=sig.waiting)
    return msg("records.sign_line", opinion=sig.opinion, word=word, name=sig.name,
               date=sig.date) if sig.name else ""


def _form_000(form: _Form, r: Record) -> None:
    """000 appendix: 信息发布审核登记表."""
    origin = r.origin + (f"\n{r.repost_url}" if r.repost_url else "")
    form.pairs(label("title_name"), r.title, height=30)
    form.pairs(label("platform"), r.account, label("published"),
               r.published or msg("records.unpublished"))
    form.pairs(label("origin_000"), origin, label("text_accurate"), r.text_accurate, height=30)
    form.pairs(label("political_ok"), r.political_ok, label("secret_000"), r.secret, height=30)
    for sig in r.signatures:
        form.pairs(sig.label, _sign(sig, label("signer_000")), height=FORM_ROW_HEIGHT)
    form.pairs(label("remarks"), "\n".join(r.remarks), height=45)


def _form_002(form: _Form, r: Record) -> None:
    """002 appendix 2: 信息发布审批表."""
    boxes = category_boxes(r.category)
    body = r.body + ("\n" + msg("records.body_cut") if r.body_cut else "")
    form.pairs(label("title"), r.title, label("secret"), r.secret, height=30)
    form.pairs(label("category_002"), boxes)
    form.pairs(label("requested"), r.requested)
    form.pairs(label("body"), body, height=160)
    for sig in r.signatures:
        form.pairs(sig.label, _sign(sig, label("signer_002")), height=FORM_ROW_HEIGHT)


def _record_sheets(book: Book, r: Record) -> None:
    book.table(msg("records.sheet_steps"),
               labels("version", "level", "role", "person", "decision", "comment", "note",
                      "assigned", "decided", "waited"),
               [(s.version, s.level, s.role, s.name, s.decision, s.comment, s.note, s.assigned,
                 s.decided, s.waited_hours) for s in r.steps],
               (6, 10, 12, 10, 8, 30, 30, 17, 17, 10))
    items = r.checklists[0].items if r.checklists else ()
    book.table(msg("records.sheet_checklist"),
               (label("check_item"),
                *(f"v{c.version} {c.level} {c.name} {c.at}" for c in r.checklists)),
               [(f"{i}. {item}", *("✓" if item in c.items else "" for c in r.checklists))
                for i, item in enumerate(items, start=1)],
               (44, *([22] * len(r.checklists))))
    book.table(msg("records.sheet_findings"),
               labels("version", "seq", "severity", "kind", "snippet", "handled"),
               [(f.version, f.seq, f.severity, f.kind, f.snippet, f.handled)
                for f in r.findings], (6, 6, 8, 16, 50, 40))
    book.table(msg("records.sheet_versions"),
               labels("version", "submitted", "version_title", "version_body"),
               [(v.version, v.at, v.title, v.body) for v in r.versions], (6, 17, 30, 90))
    book.table(msg("records.sheet_audit"), labels("audit_seq", "time", "actor", "action", "hash"),
               [*((a.seq, a.at, a.actor, action_label(a.action), a.hash) for a in r.audit),
                ("", "", "", msg("records.head_label"), r.head.token)],
               (8, 17, 12, 16, 70))
