"""Pure parts of issue 12: reading a .docx into title, lines and pictures; what changed
between two versions; the card's excerpt."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot import docx_draft
from bot.docx_draft import DocxError, parse_docx
from bot.exif import has_location
from bot.media import image_type, is_docx
from bot.textdiff import DEL, INS, SAME, Piece, change, changed_lines, diff
from handlers.review.content import excerpt
from tests.docx_support import jpeg, make_docx, paragraphs, png


def test_title_from_the_first_heading_and_body_in_order() -> None:
    doc = parse_docx(make_docx("旅游节开幕", ["第一段。", "第二段。"], pictures=[png(1)], every=1,
                               table=[["项目", "人次"], ["游客", "3万"]]))
    assert doc.title == "旅游节开幕"
    assert doc.lines == ["第一段。", "［图1］", "第二段。", "项目 | 人次", "游客 | 3万"]
    assert doc.pictures[0].data == png(1) and doc.pictures[0].content_type == "image/png"


def test_title_from_the_first_line_without_a_heading() -> None:
    doc = parse_docx(make_docx("普通段落标题", ["正文。"], heading=False))
    assert (doc.title, doc.body) == ("普通段落标题", "正文。")


def test_every_character_of_a_long_docx_is_kept() -> None:
    body = paragraphs(5000)
    doc = parse_docx(make_docx("标题", body))
    assert doc.body == "\n".join(body) and len(doc.body) >= 5000


@pytest.mark.parametrize("data", [b"PK\x03\x04" + b"\x00" * 40, b"not a zip at all"])
def test_unreadable_files(data: bytes) -> None:
    with pytest.raises(DocxError):
        parse_docx(data)


def test_a_zip_bomb_is_refused_before_it_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docx_draft, "_MAX_UNZIPPED", 100_000)  # 200 MB in production
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<" + b"a" * 200_000)
    assert len(out.getvalue()) < 2_000
    with pytest.raises(DocxError):
        parse_docx(out.getvalue())


def test_file_kinds() -> None:
    assert image_type(png(1)) == "image/png" and image_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert is_docx(make_docx("t", ["b"])) and not is_docx(b"PK\x03\x04zzz")


def test_diff_marks_insertions_and_deletions_by_character() -> None:
    pieces = diff("10月1日开幕。\n第二段不变。\n", "10月2日开幕。\n第二段不变。\n新增一段。\n")
    assert Piece(DEL, "1") in pieces and Piece(INS, "2") in pieces
    assert pieces[-1] == Piece(INS, "新增一段。\n")
    assert change(pieces).inserted == 6 and change(pieces).deleted == 1
    new = "".join(p.text for p in pieces if p.op != DEL)
    assert new == "10月2日开幕。\n第二段不变。\n新增一段。\n"
    assert not change(diff("同样", "同样")).changed


def test_a_rewritten_phrase_reads_as_one_change() -> None:
    pieces = diff("联系王某，电话13812345678。", "咨询电话：023-79223458。")
    assert [p.op for p in pieces][:2] == [DEL, INS]


def test_changed_lines_skip_what_did_not_change() -> None:
    old = "\n".join(f"第{i}段。" for i in range(1, 8))
    new = old.replace("第4段。", "第四段。")
    lines = changed_lines(diff(old, new))
    assert [line.skipped for line in lines] == [3, 0, 3]
    assert [p.op for p in lines[1].pieces] == [SAME, DEL, INS, SAME]


def test_excerpt_says_how_much_it_shows() -> None:
    short = excerpt("短正文。")
    assert (short.cut, short.total, short.shown) == (False, 4, 4)
    text = "\n".join(paragraphs(1000, per_paragraph=60))
    long = excerpt(text)
    assert long.cut and long.total == len(text) and text.startswith(long.text)
    assert long.shown == len(long.text) <= 200


def test_a_photo_that_says_where_it_was_taken() -> None:
    """rule R-REV-8: the GPS position in a phone photo's Exif is personal information."""
    assert has_location(jpeg(gps=True))
    assert not has_location(jpeg(gps=False)) and not has_location(png(1))
    assert not has_location(b"\xff\xd8\xff\xe1\x00")  # truncated: no crash, no finding
