"""What a detector returns: a finding with its place in the normalized text (pure data), and
the snippet that shows it in its context (the marks are wording: templates/messages)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.rendering import msg

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
ADDRESS = "address"
MINOR = "minor"
SOURCE_SELFMEDIA = "source_selfmedia"
CONTENT_RULE = "content_rule"
RELAY_TITLE = "relay_title"
RELAY_NO_SOURCE = "relay_no_source"
KINDS = (ID_NUMBER, MOBILE, BANK_CARD, PASSPORT, ADDRESS, MINOR, AD_ABSOLUTE, NORM,
         OUTDATED_NAME, LEADER_ORDER, SOURCE_PLATFORM, SOURCE_UNOFFICIAL, SOURCE_SELFMEDIA,
         MAP_NO_APPROVAL, SENSITIVE_EVENT, CONTENT_RULE, RELAY_TITLE, RELAY_NO_SOURCE)
# Kinds that make a draft major (重大): its final review goes to the chief. R-REV-7: a local
# sensitive event is never published without the chief's sign-off (001 Art.19); R-REV-4: a
# commercial or self-media source (a link or a named one) needs the chief's approval.
CHIEF_KINDS = frozenset({SENSITIVE_EVENT, SOURCE_UNOFFICIAL, SOURCE_SELFMEDIA})

# start/end of a finding that is not in the checked text: the `转载：` line, the draft's title
SOURCE_SPAN = -1
TITLE_SPAN = -2


def needs_chief(kind: str) -> bool:
    """Does a finding of this kind send the draft's final review to the chief?"""
    return kind in CHIEF_KINDS


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

    @property
    def needs_chief(self) -> bool:
        """A major/sensitive finding: the final review belongs to the chief (CHIEF_KINDS)."""
        return needs_chief(self.kind)


# NFKC leaves ASCII, the unified ideographs and 、。〈〉《》「」 … (U+3001–U+3035) unchanged;
# normalizing only the other runs is ~20x faster than NFKC over a whole Chinese draft
_MAY_CHANGE = re.compile(r"[^\x00-\x7f\u3001-\u3035\u4e00-\u9fff]+")


def normalize_text(text: str) -> str:
    """NFKC folds full-width digits, letters and brackets so one pattern fits both widths."""
    return normalize_with_offsets(text)[0]


def normalize_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """The NFKC text and, where lengths differ, each of its characters' index in `text`
    (None: one character for one, the common case of full-width punctuation and digits)."""
    parts: list[str] = []
    pieces: list[tuple[int, int, str]] = []  # runs whose length changed: start, end, folded
    last = 0
    for m in _MAY_CHANGE.finditer(text):
        folded = unicodedata.normalize("NFKC", m.group())
        parts += [text[last:m.start()], folded]
        if len(folded) != m.end() - m.start():
            pieces.append((m.start(), m.end(), m.group()))
        last = m.end()
    parts.append(text[last:])
    if not pieces:
        return "".join(parts), None
    return _char_by_char(text, pieces)


def _char_by_char(text: str, pieces: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """Offsets for a text where some runs changed length; only those go char by char."""
    parts: list[str] = []
    offsets: list[int] = []
    last = 0
    for start, end, run in pieces:
        stretch = text[last:start]
        parts.append(_MAY_CHANGE.sub(lambda m: unicodedata.normalize("NFKC", m.group()),
                                     stretch))
        offsets.extend(range(last, start))
        for i, ch in enumerate(run, start=start):
            folded = unicodedata.normalize("NFKC", ch)
            parts.append(folded)
            offsets.extend([i] * len(folded))
        last = end
    parts.append(_MAY_CHANGE.sub(lambda m: unicodedata.normalize("NFKC", m.group()),
                                 text[last:]))
    offsets.extend(range(last, len(text) + 1))
    return "".join(parts), offsets


def snippet(text: str, start: int, end: int, width: int = 12) -> str:
    """The finding with a little context on each side, on one line."""
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    marked = msg("precheck.snippet", left=left, found=text[start:end], right=right,
                 cut_left=start > width, cut_right=end + width < len(text))
    return " ".join(marked.split())
