"""Run every detector over one draft. Pure: text and lists in, findings out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from bot.precheck.findings import ERROR, Finding, normalize_with_offsets
from bot.precheck.lexicon import Lexicon
from bot.precheck.personal import detect_personal
from bot.precheck.sources import detect_sources
from bot.precheck.wording import (
    detect_ads,
    detect_leader_order,
    detect_maps,
    detect_norms,
    detect_outdated_names,
    detect_sensitive,
)


@dataclass(frozen=True)
class Report:
    text: str  # the draft as written; the spans index it (the detectors saw its NFKC form)
    findings: tuple[Finding, ...]

    def counts(self) -> Counter[str]:
        return Counter(f.severity for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)


def precheck(text: str, lexicon: Lexicon, *, is_allowed_source: Callable[[str], bool],
             repost_url: str | None = None, today: date | None = None) -> Report:
    """All findings of a draft, in text order (the `转载：` source first)."""
    normalized, offsets = normalize_with_offsets(text)
    scan = lexicon.scan(normalized)
    lists = lexicon.lists
    findings = [
        *detect_personal(normalized, lists, today),
        *detect_ads(normalized, scan),
        *detect_norms(normalized, scan),
        *detect_outdated_names(normalized, scan),
        *detect_leader_order(normalized),
        *detect_sources(normalized, repost_url, lists, is_allowed_source),
        *detect_maps(normalized, scan),
        *detect_sensitive(scan),
    ]
    if offsets is not None:
        findings = [_to_original(f, offsets) for f in findings]
    return Report(text, tuple(sorted(findings)))


def _to_original(finding: Finding, offsets: list[int]) -> Finding:
    if finding.start < 0:
        return finding
    return replace(finding, start=offsets[finding.start], end=offsets[finding.end - 1] + 1)
