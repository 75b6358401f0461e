"""Helpers for the report tests: reading the files back (XLSX with openpyxl, PDF text with
pypdf) and a review flow that leaves a full record behind."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import Harness

DRAFT = ("投稿 黔江文旅\n类别：微博\n发布时间：2026-10-01 09:00\n秋季旅游节开幕\n"
         "10月1日，黔江秋季旅游节在濯水古镇开幕，咨询电话13912345678。")
# an ID number: an error finding each reviewer must confirm (已核) before 通过
REVISED = "修改 #1\n秋季旅游节开幕\n10月2日，黔江秋季旅游节开幕，报名人证件号110101199003074477。"


async def full_review(bot: Harness) -> None:
    """#1: returned once, revised, approved at both levels, published."""
    await bot.say("wangwu", DRAFT)
    await bot.say("zhangming", "退回 #1 第二段日期有误")
    await bot.say("wangwu", REVISED)
    await bot.say("zhangming", "通过 #1 已核 同意")
    await bot.say("liufang", "通过 #1 已核")
    await bot.say("wangwu", "已发布 #1 https://mp.weixin.qq.com/s/abc")


async def received(bot: Harness, user: str) -> tuple[dict[str, Any], bytes]:
    """The last message to `user` (a file) and the file's bytes from the file store."""
    from bot.media import load
    from models.files import StoredFile

    sent = (await bot.inbox(user))[-1]
    assert sent["type"] == "file", sent
    return sent, await load(bot.settings, await StoredFile.get(id=sent["file_id"]))


def sheets(data: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet of a workbook as rows of values (openpyxl round trip)."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)]
                for ws in book.worksheets}
    finally:
        book.close()


def pdf_text(data: bytes) -> str:
    return "".join(pdf_page_texts(data))


def pdf_page_texts(data: bytes) -> list[str]:
    """The text of every page, as poppler's pdftotext reads it (what a PDF viewer shows).
    Needs Debian's poppler-utils (.ci/run installs it); skipped without it unless
    GOVMEDIA_REQUIRE_BROWSER=1 says the real tools must be there."""
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("GOVMEDIA_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftotext (poppler-utils) is missing")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run([tool, "-enc", "UTF-8", "-", "-"], input=data,
                          capture_output=True, check=True, timeout=60)
    return [squeeze(page) for page in done.stdout.decode("utf-8").split("\f")]


def squeeze(text: str) -> str:
    """Without any white space: table cells and wrapped lines come out of a PDF in pieces,
    so tests compare squeezed needles with squeezed text."""
    return re.sub(r"\s+", "", text)


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))
