"""Word-list detectors over one automaton scan: advertising-law absolute terms, 规范表述,
outdated institution names, leader-title order, maps without 审图号, local sensitive events.

A hit inside an allowed phrase (放行词) is never reported; ad terms also skip their exempt
phrases (国家级非遗, 第一书记, 最多跑一次 …).
"""

from __future__ import annotations

import re

from bot.precheck.findings import (
    AD_ABSOLUTE,
    ERROR,
    LEADER_ORDER,
    MAP_NO_APPROVAL,
    NORM,
    OUTDATED_NAME,
    SENSITIVE_EVENT,
    WARN,
    Finding,
    normalize_text,
)
from bot.precheck.lexicon import (
    AD_CONTEXT,
    AD_EXEMPT,
    AD_STRICT,
    ALLOW,
    MAP,
    PROMO,
    RENAME,
    SENSITIVE,
    Hit,
    Scan,
    outermost,
)
from bot.precheck.lexicon import NORM as NORM_TAG
from bot.precheck.lists import Norm, Rename

WORDING_RULE = "R-REV-6"  # checklist items 3 (political wording), 4 (规范表述), 11 (ads)
MAP_RULE = "R-REV-9"
SENSITIVE_RULE = "R-REV-7"
PROMO_MIN_CUES = 2
# a price marks a post that sells something: 99元, 88元/晚, ¥120
_PRICE = re.compile(r"\d+(?:\.\d+)?\s*元\s*(?:/|每|起)|[¥￥]\s*\d")
_OPEN_QUOTES = "“\"「『‘'"
_CLOSE_QUOTES = "”\"」』’'"
_SENTENCE_END = re.compile(r"[。！？!?\n]")
_YEAR = re.compile(r"((?:19|20)\d{2})年")
# "原…" within the clause, or "前…" that is not part of 目前/此前/之前/当前/以前/提前
_FORMER = re.compile(r"(?:原[^，。；、,;\s]{0,3}|(?<![目此之当以提日年])前)$")
# leader titles in their required order when all three precede the name
_TITLES = ("总书记", "国家主席", "军委主席")
_TITLE = r"(?:中共中央总书记|总书记|国家主席|中共中央军委主席|中央军委主席|中央军事委员会主席)"
_TITLE_RUN = re.compile(rf"({_TITLE})[、，, ]?({_TITLE})[、，, ]?({_TITLE})(?=[\u4e00-\u9fff])")
_MAP_APPROVAL = re.compile(
    r"GS\s*[京沪津渝]?\s*\(\s*\d{4}\s*\)\s*\d+\s*号"
    r"|[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]S\s*\(\s*\d{4}\s*\)\s*\d+\s*号"
    r"|标准地图服务")


def _hits(scan: Scan, *tags: str) -> list[Hit]:
    return [h for tag in tags for h in scan.get(tag, ())]


def _kept(scan: Scan, tag: str, *exempt_tags: str) -> list[Hit]:
    """The outermost hits of a list that are not inside an allowed or exempt phrase."""
    exempt = _hits(scan, ALLOW, *exempt_tags)
    return [h for h in outermost(_hits(scan, tag)) if not h.inside(exempt)]


def is_promotional(text: str, scan: Scan) -> bool:
    """Does the post sell something? A price, or two different cue words (one alone is too
    weak: 政府购买服务 is not a sale)."""
    cues = {h.word for h in scan.get(PROMO, ())}
    return len(cues) >= PROMO_MIN_CUES or bool(_PRICE.search(text))


def detect_ads(text: str, scan: Scan) -> list[Finding]:
    """广告法 第九条(三): strict terms anywhere, context terms only in promotional posts."""
    strict = _kept(scan, AD_STRICT, AD_EXEMPT)
    hits = list(strict)
    if is_promotional(text, scan):
        hits += [h for h in _kept(scan, AD_CONTEXT, AD_EXEMPT) if not h.inside(strict)]
    return [Finding(h.start, h.end, AD_ABSOLUTE, WARN, h.word, "", WORDING_RULE) for h in hits]


def _quoted(text: str, hit: Hit) -> bool:
    before = text[hit.start - 1:hit.start] if hit.start else ""
    return bool(before) and before in _OPEN_QUOTES and text[hit.end:hit.end + 1] in _CLOSE_QUOTES


def detect_norms(text: str, scan: Scan) -> list[Finding]:
    """新华社 禁用词/慎用词: error or warn as the list says; quote-level terms only unquoted."""
    found = []
    for hit in _kept(scan, NORM_TAG):
        norm = hit.data
        assert isinstance(norm, Norm)
        if norm.level == "quote" and _quoted(text, hit):
            continue
        severity = ERROR if norm.level == ERROR else WARN
        found.append(Finding(hit.start, hit.end, NORM, severity, hit.word, norm.suggestion,
                             WORDING_RULE))
    return found


def _sentence(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    return text[left:right.start() if right else len(text)]


def _historical(text: str, hit: Hit, rename: Rename) -> bool:
    """原国家卫计委, 前国家旅游局, or a sentence dated before the rename."""
    if _FORMER.search(text[max(0, hit.start - 4):hit.start]):
        return True
    years = [int(y) for y in _YEAR.findall(_sentence(text, hit.start, hit.end))]
    return any(y < rename.year for y in years)


def detect_outdated_names(text: str, scan: Scan) -> list[Finding]:
    """Institution names retired by the 2018/2023 reforms, in present-tense use."""
    found = []
    for hit in _kept(scan, RENAME):
        rename = hit.data
        assert isinstance(rename, Rename)
        if rename.old.endswith("部") and text[hit.end:hit.end + 1] == "门":
            continue  # 环保部门, 农业部门: "departments", not the ministry
        if not _historical(text, hit, rename):
            found.append(Finding(hit.start, hit.end, OUTDATED_NAME, WARN, hit.word,
                                 rename.new, WORDING_RULE))
    return found


def _title_rank(title: str) -> int:
    return next(i for i, key in enumerate(_TITLES) if key in title)


def detect_leader_order(text: str) -> list[Finding]:
    """Three titles before one name go 总书记、国家主席、军委主席."""
    found = []
    for m in _TITLE_RUN.finditer(text):
        ranks = [_title_rank(t) for t in m.groups()]
        if sorted(ranks) == [0, 1, 2] and ranks != [0, 1, 2]:
            found.append(Finding(m.start(), m.end(), LEADER_ORDER, WARN, m.group(), "",
                                 WORDING_RULE))
    return found


def states_map_approval(text: str) -> bool:
    """R-REV-9: the text names an approval number (审图号) or the standard map service."""
    return bool(_MAP_APPROVAL.search(normalize_text(text)))


def detect_maps(text: str, scan: Scan) -> list[Finding]:
    """R-REV-9: a map is mentioned but no 审图号 (GS(2024)0650号) or 标准地图服务 source."""
    hits = _kept(scan, MAP)
    if not hits or _MAP_APPROVAL.search(text):
        return []
    first = min(hits, key=lambda h: h.start)
    return [Finding(first.start, first.end, MAP_NO_APPROVAL, WARN, first.word, "", MAP_RULE)]


def detect_sensitive(scan: Scan) -> list[Finding]:
    """R-REV-7: the first mention of each local sensitive-event word, for the chief."""
    first: dict[str, Hit] = {}
    for hit in sorted(_kept(scan, SENSITIVE), key=lambda h: h.start):
        first.setdefault(hit.word, hit)
    return [Finding(h.start, h.end, SENSITIVE_EVENT, WARN, h.word, "", SENSITIVE_RULE)
            for h in first.values()]
