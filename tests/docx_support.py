"""Real .docx files and pictures for the tests, made with python-docx (no fixtures on disk)."""

from __future__ import annotations

import io
import struct
import zlib

import docx
from docx.shared import Cm


def png(seed: int, width: int = 64, height: int = 48) -> bytes:
    """A small, valid PNG whose pixels (and so its hash) depend on seed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"".join(bytes(((x * seed + y * 7 + seed * 31) % 256,
                                              (x + seed) % 256, (y * 3 + seed) % 256))
                                       for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def paragraphs(total_chars: int, per_paragraph: int = 80) -> list[str]:
    """Distinct Chinese paragraphs adding up to total_chars characters."""
    base = "黔江区濯水古镇秋季旅游节吸引游客参观土家族传统文化展演活动丰富多彩"
    out: list[str] = []
    left, n = total_chars, 0
    while left > 0:
        n += 1
        head = f"第{n}段。"
        size = min(per_paragraph, left)
        body = (base * (size // len(base) + 2))[: max(size - len(head) - 1, 0)]
        text = (head + body + "。")[:size]
        out.append(text)
        left -= len(text)
    return out


def make_docx(title: str, body: list[str], *, pictures: list[bytes] = (),  # type: ignore[assignment]
              every: int = 0, table: list[list[str]] | None = None,
              heading: bool = True) -> bytes:
    """A Word file: a heading (or a plain first line), the paragraphs, a picture after every
    `every` paragraphs (or all at the end), and a table at the end if given."""
    document = docx.Document()
    if heading:
        document.add_heading(title, level=1)
    else:
        document.add_paragraph(title)
    left = list(pictures)
    for i, text in enumerate(body, start=1):
        document.add_paragraph(text)
        if every and left and i % every == 0:
            document.add_picture(io.BytesIO(left.pop(0)), width=Cm(8))
    for picture in left:
        document.add_picture(io.BytesIO(picture), width=Cm(8))
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def jpeg(*, gps: bool) -> bytes:
    """A JPEG header with an Exif block (camera make, and a GPS position if gps)."""
    le = "<"
    entries = [(0x010F, 2, 4, b"Cam\x00")]  # Make
    if gps:
        entries.append((0x8825, 4, 1, struct.pack(le + "I", 8 + 2 + 12 * 2 + 4)))
    ifd0 = struct.pack(le + "H", len(entries)) + b"".join(
        struct.pack(le + "HHI", tag, kind, n) + value for tag, kind, n, value in entries)
    ifd0 += struct.pack(le + "I", 0)
    gps_ifd = b""
    if gps:  # GPSLatitude and GPSLongitude, the values themselves do not matter here
        gps_ifd = struct.pack(le + "H", 2) + b"".join(
            struct.pack(le + "HHI", tag, 5, 3) + struct.pack(le + "I", 0) for tag in (2, 4))
        gps_ifd += struct.pack(le + "I", 0)
    tiff = b"II*\x00" + struct.pack(le + "I", 8) + ifd0 + gps_ifd
    app1 = b"Exif\x00\x00" + tiff
    return (b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
            + b"\xff\xda\x00\x02" + b"\x00" * 16 + b"\xff\xd9")
