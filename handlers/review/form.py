"""Parsing the draft form of `投稿` and `修改`: option lines, title line, body.

An option line (`重要：是`, `重大：是`, `转载：URL`, `任务：N`, `类别：…`, `发布时间：…`, `涉密：…`;
full- or half-width colon) counts wherever it stands and is taken out of the body: before
or right after the title it must be well formed (a clear error otherwise); further down a
line counts only when its value is one the option takes, so prose such as "重要：各单位要
高度重视" stays in the body."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.dispatcher import normalize
from bot.errors import DomainError
from bot.ledger import parse_time
from bot.parsing import is_web_url, yes_no

TITLE_MAX_CHARS = 120
_OPTION = re.compile(r"^(?P<key>转载|重要|重大|任务|涉密|类别|发布时间)\s*:\s*(?P<value>.*)$")
_TASK = re.compile(r"^#?\s*(\d+)$")
_YES, _NO = ("重要",), ("不",)  # besides bot.parsing's yes and no words


@dataclass(frozen=True)
class DraftForm:
    title: str
    body: str
    repost_url: str | None  # None: not given in this message
    important: bool | None  # None: not given in this message
    major: bool | None = None  # `重大：是` (R-REV-2 major class, 001 Art.19): the chief
    relay_task: int | None = None  # `任务：N`, the relay task this draft answers
    # the review form's fields (R-REV-5, 002 appendix 2); None: not given in this message
    category: str | None = None  # `类别：微信`, a key of PUBLISH_CATEGORIES
    requested_at: str | None = None  # `发布时间：2026-10-01 09:00` as written ("" = 尽快)


def _option(line: str) -> tuple[str, str] | None:
    match = _OPTION.match(normalize(line))
    return (match["key"], match["value"].strip()) if match else None


def _url(value: str) -> str:
    if not is_web_url(value):
        raise DomainError("review.bad_repost_url", value=value[:80])
    return value


def _flag(key: str, value: str) -> bool:
    answer = yes_no(value, yes=_YES, no=_NO)
    if answer is None:
        raise DomainError("review.bad_flag", key=key, value=value[:20])
    return answer


def _take_options(lines: Sequence[str], start: int, found: dict[str, str]) -> int:
    """Consume blank and option lines from start; return the first other line's index."""
    i = start
    while i < len(lines):
        option = _option(lines[i]) if lines[i].strip() else ("", "")
        if option is None:
            return i
        if option[0]:
            _keep(found, *option)
        i += 1
    return i


def _keep(found: dict[str, str], key: str, value: str) -> None:
    """One option given twice must say the same thing both times."""
    if key in found and found[key] != value:
        raise DomainError("review.option_conflict", key=key, first=found[key][:40],
                          second=value[:40])
    found[key] = value


def _valid(key: str, value: str) -> bool:
    """Is this a value the option takes (a line in the body counts only then)?"""
    checks = {"转载": is_web_url, "任务": lambda v: bool(_TASK.match(v)),
              "类别": lambda v: v in _CATEGORY_WORDS, "发布时间": _is_time}
    check = checks.get(key)
    if check is not None:
        return check(value)
    return yes_no(value, yes=_YES, no=_NO) is not None  # 重要 重大 涉密


def _is_time(value: str) -> bool:
    if normalize(value) in _AS_SOON:
        return True
    try:
        parse_time(normalize(value), ZoneInfo("UTC"))
    except DomainError:
        return False
    return True


def take_options(lines: Sequence[str], found: dict[str, str]) -> list[str]:
    """Option lines anywhere among these lines go into found (when their value is one the
    option takes); the other lines are returned as they were."""
    rest: list[str] = []
    for line in lines:
        option = _option(line) if line.strip() else None
        if option is not None and _valid(*option):
            _keep(found, *option)
        else:
            rest.append(line)
    return rest


def parse_draft_form(lines: Sequence[str]) -> DraftForm:
    """Options may stand anywhere (see the module's note); the first other line is the
    title, the rest without its option lines is the body."""
    found: dict[str, str] = {}
    i = _take_options(lines, 0, found)
    if i >= len(lines):
        raise DomainError("review.missing_title")
    title = lines[i].strip()
    if len(title) > TITLE_MAX_CHARS:
        raise DomainError("review.title_too_long", limit=TITLE_MAX_CHARS, size=len(title))
    body = "\n".join(take_options(lines[i + 1:], found)).strip()
    if not body:
        raise DomainError("review.missing_body")
    return form_of(title, body, found)


def form_of(title: str, body: str, found: dict[str, str]) -> DraftForm:
    """The form from its title, body and option values (errors for bad values)."""
    repost = _url(found["转载"]) if "转载" in found else None
    important = _flag("重要", found["重要"]) if "重要" in found else None
    major = _flag("重大", found["重大"]) if "重大" in found else None
    task = _task(found["任务"]) if "任务" in found else None
    if "涉密" in found and _flag("涉密", found["涉密"]):
        raise DomainError("review.secret_refused")  # R-REV-6 item 1: never published
    category = _category(found["类别"]) if "类别" in found else None
    return DraftForm(title=title, body=body, repost_url=repost, important=important,
                     major=major, relay_task=task, category=category,
                     requested_at=found.get("发布时间"))


# what people write after 类别： → a key of bot.reports.common.PUBLISH_CATEGORIES
_CATEGORY_WORDS = {"局网站": "website", "网站": "website", "政务公开": "open_gov",
                   "微博": "weibo", "微信": "wechat", "其他": "other"}


def _category(value: str) -> str:
    key = _CATEGORY_WORDS.get(value.strip())
    if key is None:
        raise DomainError("review.bad_category", value=value[:20],
                          allowed=_CATEGORY_WORDS)
    return key


_AS_SOON = ("", "尽快", "审核通过后", "审核通过后发布", "即时")


def requested_time(value: str, tz: ZoneInfo) -> datetime | None:
    """`发布时间：` read in the office's zone, kept in UTC (MySQL stores the clock time it is
    given); None for 尽快 (as soon as approved)."""
    text = normalize(value)
    if text in _AS_SOON:
        return None
    try:
        return parse_time(text, tz).astimezone(UTC)
    except DomainError:
        raise DomainError("review.bad_requested_at", value=value[:30]) from None


def _task(value: str) -> int:
    match = _TASK.match(value)
    if not match:
        raise DomainError("relay.bad_task_option", value=value[:20])
    return int(match[1])
