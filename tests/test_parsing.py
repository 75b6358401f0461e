"""The words several commands read alike (bot/parsing.py): yes or no, a web address."""

from __future__ import annotations

import pytest

from bot.parsing import is_web_url, yes_no


@pytest.mark.parametrize(("text", "extra", "expected"), [
    ("是", {}, True), ("ＹＥＳ", {}, True), (" 1 ", {}, True), ("否", {}, False), ("No", {}, False),
    ("有", {}, None), ("有", {"yes": ("有",)}, True), ("不", {"no": ("不",)}, False),
    ("也许", {}, None), ("", {}, None),
])
def test_yes_no(text: str, extra: dict[str, tuple[str, ...]], expected: bool | None) -> None:
    assert yes_no(text, **extra) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("https://mp.weixin.qq.com/s/abc", True), ("http://www.qianjiang.gov.cn/a?b=1", True),
    ("ftp://x.cn/a", False), ("https://", False), ("www.gov.cn", False),
    ("https://x.cn/a b", False), ("https://x.cn/a\u3000", False), ("http://[::1", False),
])
def test_is_web_url(text: str, expected: bool) -> None:
    assert is_web_url(text) is expected
