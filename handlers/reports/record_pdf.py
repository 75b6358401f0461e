"""The review record as a PDF: the seed form on page one, the full record after it."""

from __future__ import annotations

from fpdf import FontFace
from fpdf.enums import VAlign, WrapMode
from fpdf.table import Table

from bot.rendering import msg
from bot.reports.pdf import GREY, SANS, Document
from handlers.reports.record import (
    Record,
    Signature,
    action_label,
    category_boxes,
    label,
    labels,
)

LABEL = FontFace(fill_color=GREY)


def record_pdf(record: Record) -> bytes:
    doc = Document(msg("records.footer", id=record.draft_id, seq=record.head.count,
                       hash=record.head.hash[:16]))
    doc.set_title(record.form_title)
    doc.add_page()
    doc.title_block(record.form_title, msg("records.form_subtitle", id=record.draft_id,
                                           account=record.account, state=record.state))
    if record.form == "002":
        _form_002(doc, record)
    else:
        _form_000(doc, record)
    doc.ln(2)
    doc.para(msg("records.form_note_" + record.form), size=8.5, muted=True)
    doc.para(msg("records.form_generated", generated=record.generated, seq=record.head.count,
                 hash=record.head.hash, policy=record.policy), size=7.5, muted=True)
    doc.add_page()
    _details(doc, record)
    return doc.bytes()


def _signed(sig: Signature, signer_word: str) -> str:
    if sig.waiting:
        return msg("records.sign_waiting", name=sig.waiting)
    if not sig.name:
        return ""
    return msg("records.sign_line", opinion=sig.opinion, word=signer_word, name=sig.name,
               date=sig.date)


def _form_000(doc: Document, r: Record) -> None:
    """000 appendix: 信息发布审核登记表."""
    widths = (30, 50, 40, doc.body_width - 120)
    origin = r.origin + (f"\n{r.repost_url}" if r.repost_url else "")
    doc.set_font(SANS, size=10.5)
    with doc.table(col_widths=widths, width=sum(widths), text_align="LEFT", line_height=6,
                   first_row_as_headings=False, wrapmode=WrapMode.CHAR, padding=2,
                   v_align=VAlign.M) as table:
        _row(table, (label("title_name"), r.title))
        _row(table, (label("platform"), r.account, label("published"),
                     r.published or msg("records.unpublished")))
        _row(table, (label("origin_000"), origin, label("text_accurate"), r.text_accurate))
        _row(table, (label("political_ok"), r.political_ok, label("secret_000"), r.secret))
        for sig in r.signatures:
            _row(table, (sig.label, _signed(sig, label("signer_000")), ), min_height=24)
        _row(table, (label("remarks"), "\n".join(r.remarks)), min_height=16)
    doc.set_font(SANS, size=9.5)


def _form_002(doc: Document, r: Record) -> None:
    """002 appendix 2: 信息发布审批表."""
    widths = (32, 78, 24, doc.body_width - 134)
    boxes = category_boxes(r.category)
    body = r.body + ("\n" + msg("records.body_cut") if r.body_cut else "")
    doc.set_font(SANS, size=10.5)
    with doc.table(col_widths=widths, width=sum(widths), text_align="LEFT", line_height=6,
                   first_row_as_headings=False, wrapmode=WrapMode.CHAR, padding=2,
                   v_align=VAlign.M) as table:
        _row(table, (label("title"), r.title, label("secret"), r.secret))
        _row(table, (label("category_002"), boxes))
        _row(table, (label("requested"), r.requested))
        _row(table, (label("body"), body), min_height=40, size=9.5, top=True)
        for sig in r.signatures:
            _row(table, (sig.label, _signed(sig, label("signer_002"))), min_height=22)
    doc.set_font(SANS, size=9.5)


def _row(table: Table, cells: tuple[str, ...], *, min_height: float = 0, size: float = 0,
         top: bool = False) -> None:
    """Label / value pairs; a lone value spans the rest of the row."""
    row = table.row(min_height=min_height) if min_height else table.row()
    style = FontFace(size_pt=size) if size else None
    for i, text in enumerate(cells):
        span = 4 - i if i == len(cells) - 1 and len(cells) < 4 else 1
        if i % 2 == 0:
            row.cell(text, style=LABEL, align="C", colspan=span)
        else:
            row.cell(text, colspan=span, style=style, v_align=VAlign.T if top else None)


def _details(doc: Document, r: Record) -> None:
    doc.heading(msg("records.details_title", id=r.draft_id))
    info = [(label("draft"), msg("records.draft_ref", id=r.draft_id, title=r.title)),
            (label("account"), r.account), (label("unit"), r.unit),
            (label("author"), r.author), (label("state"), r.state),
            (label("submitted"), r.submitted),
            (label("origin"), msg("records.origin_url", origin=r.origin, url=r.repost_url)),
            (label("category"), msg(f"records.category.{r.category}")),
            (label("requested"), r.requested),
            (label("published"), r.published or msg("records.unpublished")),
            (label("published_url"), r.published_url or "—")]
    doc.grid(None, info, (30, doc.body_width - 30), size=9)

    doc.heading(msg("records.steps_title"))
    doc.grid(labels("version", "level", "role", "person", "decision", "comment", "assigned",
                    "decided", "waited"),
             [(f"v{s.version}", s.level, s.role, s.name, s.decision,
               msg("records.comment_note", comment=s.comment, note=s.note), s.assigned, s.decided,
               "" if s.waited_hours is None else s.waited_hours) for s in r.steps],
             (9, 17, 17, 13, 10, 40, 18, 18, 12), size=7.5)

    doc.heading(msg("records.checklist_title"))
    if r.checklists:
        items = r.checklists[0].items
        heads = [f"v{c.version} {c.level}\n{c.name}\n{c.at}" for c in r.checklists]
        width = min(26.0, (doc.body_width - 70) / len(heads))
        rows = [(f"{i}. {item}", *("✓" if item in c.items else "" for c in r.checklists))
                for i, item in enumerate(items, start=1)]
        doc.grid((label("check_item"), *heads), rows, (doc.body_width - width * len(heads),
                                              *([width] * len(heads))), size=7.5)
    else:
        doc.para(msg("records.checklist_none"), muted=True)

    doc.heading(msg("records.findings_title"))
    if r.findings:
        doc.grid(labels("version", "seq", "severity", "kind", "snippet", "handled"),
                 [(f"v{f.version}", f.seq, f.severity, f.kind, f.snippet, f.handled)
                  for f in r.findings], (10, 10, 10, 24, 60, doc.body_width - 114), size=7.5)
    else:
        doc.para(msg("records.findings_none"), muted=True)

    doc.heading(msg("records.versions_title"))
    for v in r.versions:
        doc.para(msg("records.version_title", version=v.version, at=v.at), size=10, muted=True)
        doc.para(v.title, size=10.5)
        doc.ln(1)
        doc.para(v.body)

    doc.heading(msg("records.audit_title"))
    doc.grid(labels("audit_seq", "time", "actor", "action", "hash_16"),
             [(a.seq, a.at, a.actor, action_label(a.action), a.hash[:16]) for a in r.audit],
             (16, 30, 28, 50, doc.body_width - 124), size=7.5)
    doc.ln(2)
    doc.para(msg("records.audit_head", seq=r.head.count, hash=r.head.hash), size=8.5)
