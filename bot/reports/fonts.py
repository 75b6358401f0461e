"""The CJK font every PDF embeds: Google's Noto Sans SC (SIL OFL 1.1), shipped unchanged
by the `pylopdf-fonts-zh-cn` wheel from PyPI (with Noto Serif SC, which we leave unused:
parsing a second 10 MB CFF font would double the time of every PDF), so Chinese renders
on a machine with no Chinese fonts installed. fpdf2 embeds only the glyphs a document
uses. The board serves the same file to browsers that lack a Chinese font."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def sans_path() -> Path:
    import pylopdf_fonts_zh_cn as noto

    return Path(noto.sans_path())
