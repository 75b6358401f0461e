"""Word lists are data: the shipped files in bot/precheck/data/ (each names its source in
its header) plus a unit's own additions and allow-list. Editing a file or a unit's list
needs no restart: the defaults are re-read when a file's mtime changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from bot.precheck.findings import ERROR, WARN

DATA_DIR = Path(__file__).resolve().parent / "data"
_INLINE_COMMENT = re.compile(r"\s+#.*$")
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Norm:
    term: str
    suggestion: str
    level: str  # error | warn | quote (quote: fine inside quotation marks)
    scope: str = ""  # where the norm applies (SCOPES); empty: everywhere


# a norm written for one kind of text applies only there (xinhua_norms.tsv, column 5)
LEADER_REPORT = "leader_report"  # 亲自: reports of a leader's activity
OFFICIALS = "officials"  # 老板: said of officials and heads of state-owned firms
CROSS_STRAIT = "cross_strait"  # 文书验证, 司法协助 …: texts about Taiwan, Hong Kong, Macao
SCOPES = ("", LEADER_REPORT, OFFICIALS, CROSS_STRAIT)


@dataclass(frozen=True)
class ContentRule:
    """R-CNT-1: a phrase that shows bought followers, forced following or sharing, or
    commercial activity on the account."""

    term: str  # a phrase, or "re:" and a regular expression
    category: str  # fake_data | forced | commercial
    level: str

    @property
    def pattern(self) -> str:
        return self.term[3:] if self.term.startswith("re:") else ""


@dataclass(frozen=True)
class Rename:
    old: str
    new: str
    year: int  # the year the old name stopped being current


@dataclass(frozen=True)
class WordLists:
    """One list set; hashable, so an automaton can be cached per set."""

    ad_strict: tuple[str, ...] = ()
    ad_context: tuple[str, ...] = ()
    ad_exempt: tuple[str, ...] = ()
    promo_cues: tuple[str, ...] = ()  # a call to buy or a deal (weight 2)
    promo_goods: tuple[str, ...] = ()  # what is sold (weight 1)
    norms: tuple[Norm, ...] = ()
    renames: tuple[Rename, ...] = ()
    map_terms: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    platform_domains: tuple[str, ...] = ()
    hotlines: tuple[str, ...] = ()
    hotline_patterns: tuple[str, ...] = ()
    content_rules: tuple[ContentRule, ...] = ()
    content_exempt: tuple[str, ...] = ()
    self_media: tuple[str, ...] = ()
    official_sources: tuple[str, ...] = ()

    def with_unit(self, *, sensitive: tuple[str, ...] = (), ad: tuple[str, ...] = (),
                  allow: tuple[str, ...] = ()) -> WordLists:
        """The defaults plus a unit's own words (敏感词, 广告词) and 放行词."""
        return replace(self, sensitive=_unique(self.sensitive + sensitive),
                       ad_strict=_unique(self.ad_strict + ad), allow=_unique(self.allow + allow))


def _unique(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for w in words if w))


def entries(text: str) -> list[str]:
    """Non-blank, non-comment lines with any trailing ` # comment` removed."""
    lines = (_INLINE_COMMENT.sub("", line).strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("\t")] for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


_LEVELS = {"error": ERROR, "warn": WARN, "quote": "quote"}


def parse_norms(text: str) -> tuple[Norm, ...]:
    out = []
    for r in _rows(text):
        if len(r) >= 3:
            scope = r[4] if len(r) >= 5 and r[4] in SCOPES else ""
            out.append(Norm(r[0], r[1], _LEVELS.get(r[2], WARN), scope))
    return tuple(out)


def parse_content_rules(text: str) -> tuple[ContentRule, ...]:
    return tuple(ContentRule(r[0], r[1], ERROR if r[2] == "error" else WARN)
                 for r in _rows(text) if len(r) >= 3)


def parse_renames(text: str) -> tuple[Rename, ...]:
    out = []
    for row in _rows(text):
        year = _YEAR.search(row[2]) if len(row) >= 3 else None
        if year:
            out.append(Rename(row[0], row[1], int(year.group())))
    return tuple(out)


def load_lists(directory: Path) -> WordLists:
    """Read every list file of a data directory."""
    def words(name: str) -> tuple[str, ...]:
        return tuple(entries((directory / name).read_text("utf-8")))

    hotlines = words("public_hotlines_allowlist.txt")
    promo = _rows((directory / "promo_cues.txt").read_text("utf-8"))
    return WordLists(
        ad_strict=words("ad_absolute_terms.txt"),
        ad_context=words("ad_absolute_context_terms.txt"),
        ad_exempt=words("ad_absolute_exempt_phrases.txt"),
        promo_cues=tuple(r[0] for r in promo if r[1:] == ["2"]),
        promo_goods=tuple(r[0] for r in promo if r[1:] != ["2"]),
        norms=parse_norms((directory / "xinhua_norms.tsv").read_text("utf-8")),
        renames=parse_renames((directory / "outdated_institutions.tsv").read_text("utf-8")),
        map_terms=words("map_context_terms.txt"),
        sensitive=words("sensitive_events.txt"),
        allow=words("allow_phrases.txt"),
        platform_domains=words("platform_domains_need_account_check.txt"),
        hotlines=tuple(h for h in hotlines if not h.startswith("re:")),
        hotline_patterns=tuple(h[3:] for h in hotlines if h.startswith("re:")),
        content_rules=parse_content_rules((directory / "content_rules.tsv").read_text("utf-8")),
        content_exempt=words("content_exempt_phrases.txt"),
        self_media=words("self_media_markers.txt"),
        official_sources=words("official_source_names.txt"),
    )


@lru_cache(maxsize=4)
def _load_stamped(directory: Path, stamp: tuple[tuple[str, int], ...]) -> WordLists:
    return load_lists(directory)


def default_lists(directory: Path = DATA_DIR) -> WordLists:
    """The shipped lists, re-read only when a file in the directory changed."""
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(directory.iterdir()))
    return _load_stamped(directory, stamp)
