"""Run every detector over one draft. Pure: text and lists in, findings out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from bot.precheck.content import detect_content_rules
from bot.precheck.findings import (
    ERROR,
    TITLE_SPAN,
    Finding,
    normalize_text,
    normalize_with_offsets,
)
from bot.precheck.lexicon import Lexicon
from bot.precheck.personal import detect_personal
from bot.precheck.relays import detect_relay
from bot.precheck.sources import detect_named_sources, detect_sources
from bot.precheck.wording import (
    detect_ads,
    detect_leader_order,
    detect_maps,
    detect_norms,
    detect_outdated_names,
    detect_sensitive,
)

SEVERITY_ORDER = {ERROR: 0}  # errors first; every other severity after
TITLE_END = "。"


@dataclass(frozen=True)
class Report:
    """The findings of one check. `text` is what was checked as written (title, a line break
    and the body for a draft); spans index it, or are SOURCE_SPAN for the `转载：` line."""

    text: str
    findings: tuple[Finding, ...]
    body_offset: int = 0  # where the body starts in `text` (0 when there is no title)

    def counts(self) -> Counter[str]:
        return Counter(f.severity for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def needs_chief(self) -> bool:
        """A major/sensitive finding (findings.CHIEF_KINDS): the chief gives the final review."""
        return any(f.needs_chief for f in self.findings)

    def by_severity(self) -> tuple[Finding, ...]:
        """Errors first, then warnings; each group in text order."""
        return tuple(sorted(self.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 1),
                                                          f.start, f.end)))

    def body_span(self, finding: Finding) -> tuple[int, int]:
        """The finding's span in the body as stored; TITLE_SPAN or SOURCE_SPAN when it is in
        the title or the `转载：` line."""
        if finding.start < 0:
            return finding.start, finding.end
        if finding.start < self.body_offset:
            return TITLE_SPAN, TITLE_SPAN
        return finding.start - self.body_offset, finding.end - self.body_offset


def precheck(text: str, lexicon: Lexicon, *, is_allowed_source: Callable[[str], bool],
             repost_url: str | None = None, today: date | None = None,
             title: str | None = None, relay_title: str | None = None) -> Report:
    """All findings of a text, in text order (the `转载：` source first). With a title, the
    detectors see "title\\nbody" as one text and Report.body_span maps spans to the body."""
    checked = text if title is None else f"{title}\n{text}"
    normalized, offsets = normalize_with_offsets(checked)
    end = 0
    if title is not None:  # the title is a sentence of its own (same length: spans hold)
        end = len(normalize_text(title))
        normalized = f"{normalized[:end]}{TITLE_END}{normalized[end + 1:]}"
    scan = lexicon.scan(normalized)
    lists = lexicon.lists
    findings = [
        *detect_personal(normalized, lists, today),
        *detect_ads(normalized, scan),
        *detect_norms(normalized, scan),
        *detect_outdated_names(normalized, scan),
        *detect_leader_order(normalized),
        *detect_sources(normalized, repost_url, lists, is_allowed_source),
        *detect_named_sources(normalized, scan),
        *detect_maps(normalized, scan),
        *detect_sensitive(normalized, scan),
        *detect_content_rules(normalized, scan, lists.content_rules),
        *detect_relay(normalized, end, repost_url, relay_title),
    ]
    findings = [_as_written(f, offsets, checked) for f in findings]
    body_offset = 0 if title is None else len(title) + 1
    return Report(checked, tuple(sorted(findings)), body_offset)


def _as_written(finding: Finding, offsets: list[int] | None, checked: str) -> Finding:
    """The span and matched text as written (the detectors saw the NFKC form)."""
    if finding.start < 0:
        return finding
    start, end = finding.start, finding.end
    if offsets is not None:
        start, end = offsets[start], offsets[end - 1] + 1
    return replace(finding, start=start, end=end, text=checked[start:end])
