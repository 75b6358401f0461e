"""One Aho-Corasick automaton per list set: every word of every list in one pass.

A word may sit on several lists (最高 is a context term and part of 最高人民法院), so each
pattern carries the tags of the lists it came from. Building costs milliseconds and a
scan microseconds, so an automaton is built once per list set and cached by it; a
changed list is a new set and gets a new automaton.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick_rs

from bot.precheck.findings import normalize_text
from bot.precheck.lists import WordLists

AD_STRICT = "ad_strict"
AD_CONTEXT = "ad_context"
AD_EXEMPT = "ad_exempt"
PROMO = "promo"
PROMO_GOODS = "promo_goods"
NORM = "norm"
RENAME = "rename"
MAP = "map"
SENSITIVE = "sensitive"
ALLOW = "allow"
CONTENT = "content"
CONTENT_EXEMPT = "content_exempt"
SELF_MEDIA = "self_media"
OFFICIAL_SOURCE = "official_source"


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    word: str
    data: object = None  # the Norm, Rename or ContentRule row a word came from

    def inside(self, spans: Iterable[Hit]) -> bool:
        return any(s.start <= self.start and self.end <= s.end for s in spans)


Scan = dict[str, list[Hit]]


class Lexicon:
    """The automaton of one WordLists and the tags of its patterns."""

    def __init__(self, lists: WordLists) -> None:
        self.lists = lists
        tags: dict[str, list[tuple[str, object]]] = defaultdict(list)
        plain = ((AD_STRICT, lists.ad_strict), (AD_CONTEXT, lists.ad_context),
                 (AD_EXEMPT, lists.ad_exempt), (PROMO, lists.promo_cues),
                 (PROMO_GOODS, lists.promo_goods), (MAP, lists.map_terms),
                 (SENSITIVE, lists.sensitive), (ALLOW, lists.allow),
                 (CONTENT_EXEMPT, lists.content_exempt), (SELF_MEDIA, lists.self_media),
                 (OFFICIAL_SOURCE, lists.official_sources))
        for tag, words in plain:
            for word in words:
                tags[normalize_text(word)].append((tag, None))
        for norm in lists.norms:
            tags[normalize_text(norm.term)].append((NORM, norm))
        for rename in lists.renames:
            tags[normalize_text(rename.old)].append((RENAME, rename))
        for rule in lists.content_rules:
            if not rule.pattern:
                tags[normalize_text(rule.term)].append((CONTENT, rule))
        tags.pop("", None)
        self.words = list(tags)
        self.tags = [tuple(tags[w]) for w in self.words]
        self.automaton = ahocorasick_rs.AhoCorasick(
            self.words or ["\0"], matchkind=ahocorasick_rs.MatchKind.Standard)

    def scan(self, text: str) -> Scan:
        """Every occurrence of every word (overlapping), grouped by list tag."""
        found: Scan = defaultdict(list)
        if not self.words:
            return found
        for index, start, end in self.automaton.find_matches_as_indexes(text, overlapping=True):
            for tag, data in self.tags[index]:
                found[tag].append(Hit(start, end, self.words[index], data))
        return found


@lru_cache(maxsize=16)
def lexicon_for(lists: WordLists) -> Lexicon:
    """The cached automaton of a list set (rebuilt when the set changes)."""
    return Lexicon(lists)


def outermost(hits: list[Hit]) -> list[Hit]:
    """Drop hits inside a longer hit of the same list (国家卫计委 over 卫计委)."""
    kept: list[Hit] = []
    reach = -1
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if hit.end > reach:
            kept.append(hit)
            reach = hit.end
    return kept


def disjoint(hits: list[Hit]) -> list[Hit]:
    """Leftmost-longest hits that do not overlap (关注截图发至: one hit, not two)."""
    kept: list[Hit] = []
    reach = -1
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if hit.start >= reach:
            kept.append(hit)
            reach = hit.end
    return kept


def within(hits: list[Hit], start: int, end: int) -> bool:
    """Does any hit lie inside text[start:end]?"""
    return any(start <= h.start and h.end <= end for h in hits)
