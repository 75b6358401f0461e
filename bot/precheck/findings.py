"""What a detector returns: a finding with its place in the normalized text. Pure data."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

ERROR = "error"  # the reviewer must confirm it was handled before 通过 (never a block)
WARN = "warn"
SEVERITIES = (ERROR, WARN)

# kinds, each rendered by templates/messages/precheck.toml "precheck.kind.<kind>"
ID_NUMBER = "id_number"
MOBILE = "mobile"
BANK_CARD = "bank_card"
PASSPORT = "passport"
AD_ABSOLUTE = "ad_absolute"
NORM = "norm"
OUTDATED_NAME = "outdated_name"
LEADER_ORDER = "leader_order"
SOURCE_PLATFORM = "source_platform"
SOURCE_UNOFFICIAL = "source_unofficial"
MAP_NO_APPROVAL = "map_no_approval"
SENSITIVE_EVENT = "sensitive_event"
KINDS = (ID_NUMBER, MOBILE, BANK_CARD, PASSPORT, AD_ABSOLUTE, NORM, OUTDATED_NAME,
         LEADER_ORDER, SOURCE_PLATFORM, SOURCE_UNOFFICIAL, MAP_NO_APPROVAL, SENSITIVE_EVENT)


@dataclass(frozen=True, order=True)
class Finding:
    """One likely problem. start/end index the normalized text; suggestion is data
    (a list's replacement, a host), never prose — the templates word it."""

    start: int
    end: int
    kind: str
    severity: str
    text: str
    suggestion: str
    rule: str


def normalize_text(text: str) -> str:
    """NFKC folds full-width digits, letters and brackets so one pattern fits both widths."""
    return unicodedata.normalize("NFKC", text)


def snippet(text: str, start: int, end: int, width: int = 12) -> str:
    """The finding with a little context on each side, on one line."""
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    prefix = "…" if start > width else ""
    suffix = "…" if end + width < len(text) else ""
    return " ".join(f"{prefix}{left}【{text[start:end]}】{right}{suffix}".split())
