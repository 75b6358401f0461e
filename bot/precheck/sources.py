"""Repost sources (rule R-REV-4): every URL in the draft and its `转载：` source, and source
lines that name a self-media account or "the internet" instead of linking it.

The official allow-list is the policy profile's (Policy.is_allowed_source, matched by host
boundary: gov.cn.evil.com is not gov.cn). A platform link (mp.weixin.qq.com, weibo.com …)
says nothing about its publisher, so a person checks the account; any other host is a
commercial or self-media source, whose final review goes to the chief.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from bot.precheck.context import clause
from bot.precheck.findings import (
    SOURCE_PLATFORM,
    SOURCE_SELFMEDIA,
    SOURCE_SPAN,
    SOURCE_UNOFFICIAL,
    WARN,
    Finding,
)
from bot.precheck.lexicon import OFFICIAL_SOURCE, SELF_MEDIA, Hit, Scan, within
from bot.precheck.lists import WordLists

RULE = "R-REV-4"
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()（）【】\[\]{}，。；！？、“”]+", re.I)
_TRAILING = ".,;:!?"
# 来源：…, 转自…, 摘自…: the words that introduce where a text or picture came from
SOURCE_CUE = re.compile(r"来源|转自|转载自|摘自|引自|出处|图源|素材来自|内容来自")
# a named organ (…局, …委, …中心, …政府) makes the source official whatever platform carries it
_ORGAN = re.compile(r"[局委厅部办院所]|中心|街道")


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


def _official(text: str, start: int, end: int, official: list[Hit]) -> bool:
    return within(official, start, end) or bool(_ORGAN.search(text, start, end))


def detect_named_sources(text: str, scan: Scan) -> list[Finding]:
    """来源：抖音用户“某某”, 转自微信公众号“某某”, 图片来源：网络 — a self-media or unnamed
    source in a source line, with no official body named in the same clause."""
    markers = scan.get(SELF_MEDIA, [])
    if not markers:
        return []
    official = scan.get(OFFICIAL_SOURCE, [])
    found = []
    for cue in SOURCE_CUE.finditer(text):
        right = clause(text, cue.start(), cue.end())[1]
        if right < len(text) and text[right] in "：:":  # 来源：抖音… goes on after the colon
            right = clause(text, right + 1, right + 1)[1]
        named = [h for h in markers if cue.end() <= h.start and h.end <= right]
        if named and not _official(text, cue.end(), right, official):
            first = min(named, key=lambda h: h.start)
            found.append(Finding(first.start, first.end, SOURCE_SELFMEDIA, WARN, first.word, "",
                                 RULE))
    return found
