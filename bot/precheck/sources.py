"""Repost sources (rule R-REV-4): every URL in the draft and its `转载：` source.

The official allow-list is the policy profile's (Policy.is_allowed_source, matched by host
boundary: gov.cn.evil.com is not gov.cn). A platform link (mp.weixin.qq.com, weibo.com …)
says nothing about its publisher, so a person checks the account; any other host is a
commercial or self-media source, whose final review goes to the chief.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from bot.precheck.findings import SOURCE_PLATFORM, SOURCE_UNOFFICIAL, WARN, Finding
from bot.precheck.lists import WordLists

RULE = "R-REV-4"
SOURCE_SPAN = -1  # start/end of a finding about the `转载：` line rather than the text
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()（）【】\[\]{}，。；！？、“”]+", re.I)
_TRAILING = ".,;:!?"


def host_of(url: str) -> str:
    full = url if "://" in url else f"http://{url}"
    try:
        return (urlsplit(full).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def on_domain(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def check_source(url: str, start: int, end: int, lists: WordLists,
                 is_allowed_source: Callable[[str], bool]) -> Finding | None:
    full = url if "://" in url else f"http://{url}"
    host = host_of(url)
    if not host or is_allowed_source(full):
        return None
    kind = SOURCE_PLATFORM if on_domain(host, lists.platform_domains) else SOURCE_UNOFFICIAL
    return Finding(start, end, kind, WARN, url, host, RULE)


def detect_sources(text: str, repost_url: str | None, lists: WordLists,
                   is_allowed_source: Callable[[str], bool]) -> list[Finding]:
    """One finding per URL that is not on the official allow-list."""
    found = []
    if repost_url:
        found.append(check_source(repost_url, SOURCE_SPAN, SOURCE_SPAN, lists,
                                  is_allowed_source))
    for m in _URL.finditer(text):
        url = m.group().rstrip(_TRAILING)
        found.append(check_source(url, m.start(), m.start() + len(url), lists,
                                  is_allowed_source))
    return [f for f in found if f is not None]
