"""A Word (.docx) draft as the bot keeps it: a title, the body as text lines, the pictures.

Title: the first heading (Word's 标题 / Heading / Title styles), else the first line of
text. Body: every other paragraph in order, one line each; a simple table becomes one
line per row with the cells separated by " | "; a picture becomes a line "［图N］" where it
stood, so the draft page shows it in its place. Parsing is pure and synchronous (call it
in a worker thread); python-docx does the reading.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.media import image_type

if TYPE_CHECKING:  # python-docx (and lxml, ~8 MB) is imported when a .docx arrives
    from docx.document import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

PICTURE_MARK = "［图{n}］"
PICTURE_LINE = re.compile(r"^［图(\d+)］$")
CELL_SEPARATOR = " | "
_HEADING_STYLES = ("heading", "title", "标题")
# qn("a:blip") and qn("r:embed"), spelled out so that importing this module needs no docx
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
_MAX_UNZIPPED = 200 * 1024 * 1024  # a zip bomb is refused before python-docx opens it


class DocxError(Exception):
    """Not a Word document we can read; key names the message for the sender."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str
    name: str


@dataclass
class DocxDraft:
    title: str
    lines: list[str]
    pictures: list[Picture] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip()


def _is_heading(paragraph: Paragraph) -> bool:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    return style.lower().startswith(_HEADING_STYLES)


def _pictures_in(paragraph: Paragraph, document: Document) -> Iterator[Picture]:
    for blip in paragraph._p.iter(_BLIP):
        rel = blip.get(_EMBED)
        part = document.part.related_parts.get(rel) if rel else None
        blob = getattr(part, "blob", None)
        kind = image_type(blob) if blob else None
        if blob and kind:  # EMF/WMF drawings and the like are not pictures a phone shows
            name = str(getattr(part, "partname", "")).rsplit("/", 1)[-1]
            yield Picture(blob, kind, name)


def _table_lines(table: Table) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text or not text:  # merged cells repeat
                cells.append(text)
        if any(cells):
            lines.append(CELL_SEPARATOR.join(cells))
    return lines


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_UNZIPPED:
                raise DocxError("draft.docx_unreadable")
    except zipfile.BadZipFile:
        raise DocxError("draft.docx_unreadable") from None


def parse_docx(data: bytes) -> DocxDraft:
    """The draft in a .docx; DocxError if it cannot be read or holds no text."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    _check_archive(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile):
        raise DocxError("draft.docx_unreadable") from None
    title = ""
    lines: list[str] = []
    pictures: list[Picture] = []
    first_text: int | None = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
            continue
        text = block.text.strip()
        found = list(_pictures_in(block, document))
        if text and not title and _is_heading(block):
            title = text
        elif text:
            first_text = len(lines) if first_text is None else first_text
            lines.append(block.text.rstrip())
        elif not found and lines and lines[-1]:
            lines.append("")  # an empty paragraph keeps the author's spacing
        for picture in found:
            pictures.append(picture)
            lines.append(PICTURE_MARK.format(n=len(pictures)))
    if not title and first_text is not None:
        title = lines.pop(first_text).strip()
    if not title:
        raise DocxError("draft.docx_empty")
    return DocxDraft(title=title, lines=lines, pictures=pictures)
