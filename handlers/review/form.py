"""Parsing the draft form of `投稿` and `修改`: option lines, title line, body."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.dispatcher import normalize
from bot.errors import DomainError

TITLE_MAX_CHARS = 120
_OPTION = re.compile(r"^(?P<key>转载|重要|任务)\s*:\s*(?P<value>.*)$")
_TASK = re.compile(r"^#?\s*(\d+)$")
_YES = ("是", "yes", "y", "true", "1", "重要")
_NO = ("否", "no", "n", "false", "0", "不")


@dataclass(frozen=True)
class DraftForm:
    title: str
    body: str
    repost_url: str | None  # None: not given in this message
    important: bool | None  # None: not given in this message
    relay_task: int | None = None  # `任务：N`, the relay task this draft answers


def _option(line: str) -> tuple[str, str] | None:
    match = _OPTION.match(normalize(line))
    return (match["key"], match["value"].strip()) if match else None


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("review.bad_repost_url", value=value[:80])
    return value


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise DomainError("review.bad_important", value=value[:20])


def _take_options(lines: Sequence[str], start: int, found: dict[str, str]) -> int:
    """Consume blank and option lines from start; return the first other line's index."""
    i = start
    while i < len(lines):
        option = _option(lines[i]) if lines[i].strip() else ("", "")
        if option is None:
            return i
        if option[0]:
            found[option[0]] = option[1]
        i += 1
    return i


def parse_draft_form(lines: Sequence[str]) -> DraftForm:
    """Options may stand before or right after the title line; the rest is the body."""
    found: dict[str, str] = {}
    i = _take_options(lines, 0, found)
    if i >= len(lines):
        raise DomainError("review.missing_title")
    title = lines[i].strip()
    if len(title) > TITLE_MAX_CHARS:
        raise DomainError("review.title_too_long", limit=TITLE_MAX_CHARS, size=len(title))
    j = _take_options(lines, i + 1, found)
    body = "\n".join(lines[j:]).strip()
    if not body:
        raise DomainError("review.missing_body")
    repost = _url(found["转载"]) if "转载" in found else None
    important = _flag(found["重要"]) if "重要" in found else None
    task = _task(found["任务"]) if "任务" in found else None
    return DraftForm(title=title, body=body, repost_url=repost, important=important,
                     relay_task=task)


def _task(value: str) -> int:
    match = _TASK.match(value)
    if not match:
        raise DomainError("relay.bad_task_option", value=value[:20])
    return int(match[1])
