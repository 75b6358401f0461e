"""Relays (rule R-RLY-2): a relayed article names its source and keeps its title.

000 Art.6, 001 Art.22, 004 Art.20: "注明出处或带有明显转载标识，不得歪曲、篡改标题原意和
信息内容". The bot sees the draft, not the published page: a repost whose text names no
source, and a relay-task draft whose title is not the task's, are shown to the reviewer.
"""

from __future__ import annotations

import re

from bot.precheck.findings import RELAY_NO_SOURCE, RELAY_TITLE, SOURCE_SPAN, WARN, Finding
from bot.precheck.sources import SOURCE_CUE

RULE = "R-RLY-2"
# what does not change a title's words: spaces, punctuation and quotation marks
_IGNORED = re.compile(r"[\s\W_]+")


def same_title(a: str, b: str) -> bool:
    return _IGNORED.sub("", a) == _IGNORED.sub("", b)


def detect_relay(text: str, title_end: int, repost_url: str | None,
                 relay_title: str | None) -> list[Finding]:
    """text is "title\\nbody" normalized, the title ending at title_end (0: no title)."""
    found = []
    if relay_title and title_end and not same_title(text[:title_end], relay_title):
        found.append(Finding(0, title_end, RELAY_TITLE, WARN, text[:title_end], relay_title,
                             RULE))
    if repost_url and not SOURCE_CUE.search(text, title_end):
        found.append(Finding(SOURCE_SPAN, SOURCE_SPAN, RELAY_NO_SOURCE, WARN, repost_url, "",
                             RULE))
    return found
