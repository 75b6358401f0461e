"""The ledger (台账) fields of the filing form (R-ACC-8) and how their values read and write.

One table of columns serves the chat filings (`字段：值` lines), `accounts import`
and `accounts export`, so a spreadsheet column and a chat line always mean the same thing.
Code and stored filings know a column by its key; its Chinese label and the aliases people
also write live in templates/ledger/columns.toml.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from bot.datefmt import DATE_FORMAT, TIME_FORMAT
from bot.errors import DomainError
from bot.parsing import yes_no
from bot.rendering import TEMPLATES_DIR, msg
from models.org import ACCOUNT_STATUSES, CONTENT_KINDS, PLATFORMS, Account, Person
from models.registry import TEAM_ROLES, TeamMember

_MOBILE = re.compile(r"^1\d{10}$")
_PHONE = re.compile(r"^[\d\-+() ]{5,20}$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_TIME = re.compile(r"^(?P<date>.+?)[ T]+(?P<h>\d{1,2}):(?P<m>\d{2})(?::\d{2})?$")


@dataclass(frozen=True)
class Member:
    role: str
    name: str
    post: str = ""
    office_phone: str = ""
    mobile: str = ""

    def text(self, *, phones: bool = True) -> str:
        parts = [self.name, self.post, *((self.office_phone, self.mobile) if phones else ())]
        while parts and not parts[-1]:
            parts.pop()
        return "，".join(parts)


@dataclass(frozen=True)
class Column:
    """One ledger column, known to code and stored filings by its key only."""

    key: str  # the Account attribute; "unit" (the host unit); or the team role for kind "team"
    kind: str  # text | platform | unit | date | time | bool | int | content | status | team

    @property
    def label(self) -> str:
        """The filing form's words (the chat line key and the spreadsheet header)."""
        return headers().labels[self.key]


COLUMNS: tuple[Column, ...] = (
    Column("name", "text"),
    Column("platform_id", "text"),
    Column("platform", "platform"),
    Column("platform_note", "text"),
    Column("unit", "unit"),
    Column("organizer", "text"),
    Column("opened_on", "date"),
    Column("certified", "bool"),
    Column("news_licence", "bool"),
    Column("intro", "text"),
    Column("url", "text"),
    Column("vendor", "text"),
    Column("vendor_qualification", "text"),
    Column("content", "content"),
    Column("leader", "team"),
    Column("section_head", "team"),
    Column("admin", "team"),
    Column("status", "status"),
    Column("followers", "int"),
    Column("last_update_at", "time"),
    Column("password_changed_at", "time"),
    # after the first release: at the end, so that older spreadsheets keep their order
    Column("vendor_agreement_on", "date"),
    Column("menus", "text"),
    Column("ipv6", "bool"),
    Column("elderly_friendly", "bool"),
    Column("accessible", "bool"),
)
BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = ("name", "platform", "unit")
_CLEARABLE: dict[str, Any] = {"text": "", "date": None, "time": None, "bool": None, "int": None}


@dataclass(frozen=True)
class Headers:
    """The columns' labels and the words people also write for them (templates/ledger)."""

    labels: dict[str, str]  # key → label
    words: dict[str, str]  # label or alias (NFKC) → key


@cache
def headers() -> Headers:
    with open(TEMPLATES_DIR / "ledger" / "columns.toml", "rb") as fh:
        table = tomllib.load(fh)
    labels = {key: entry["label"] for key, entry in table.items()}
    words = {unicodedata.normalize("NFKC", alias).strip(): key
             for key, entry in table.items() for alias in entry.get("aliases", ())}
    words.update({unicodedata.normalize("NFKC", text).strip(): key
                  for key, text in labels.items()})
    return Headers(labels, words)


def column_labels() -> dict[str, str]:
    """Every column's label by key, for texts that name the columns."""
    return headers().labels


def column(label: str) -> Column | None:
    """The column a header or chat line key names (its label or an alias), if any."""
    words = headers().words
    folded = unicodedata.normalize("NFKC", label).strip()
    key = words.get(folded, words.get(folded.upper()))
    return BY_KEY.get(key) if key else None


@cache
def label(key: str) -> str:
    """A fixed label (platform, status, content kind); cached: the ledger asks per cell."""
    return msg(key)


@cache
def _platform_labels() -> dict[str, str]:
    labels = {label(f"platform.{p}"): p for p in PLATFORMS}
    labels.update({"微博": "weibo", "APP": "app", "移动客户端": "app", "抖音号": "douyin",
                   "视频号": "wechat_channels"})
    return labels


def platform_code(value: str) -> str:
    """'微信订阅号' or 'wechat_subscription' → 'wechat_subscription'."""
    labels = _platform_labels()
    folded = unicodedata.normalize("NFKC", value).strip()
    code = folded if folded in PLATFORMS else labels.get(folded, labels.get(folded.upper()))
    if code is None:
        raise DomainError("registry.bad_platform", value=value,
                          allowed=[label(f"platform.{p}") for p in PLATFORMS])
    return code


def status_label(status: str) -> str:
    return label(f"registry.status_{status}")


def content_label(content: str) -> str:
    return label(f"registry.content_{content}")


def _by_label(value: str, codes: Iterable[str], name_of: Callable[[str], str], key: str) -> str:
    table = {name_of(c): c for c in codes} | {c: c for c in codes}
    folded = unicodedata.normalize("NFKC", value).strip()
    if folded not in table:
        raise DomainError(key, value=value, allowed=[name_of(c) for c in codes])
    return table[folded]


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(unicodedata.normalize("NFKC", str(value)).strip())
    try:
        if match:
            return date(*(int(g) for g in match.groups()))
    except ValueError:
        pass
    raise DomainError("registry.bad_date", value=value)


def parse_time(value: Any, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _TIME.match(text)
    try:
        day = parse_date(match["date"] if match else text)
        hour, minute = (int(match["h"]), int(match["m"])) if match else (0, 0)
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    except (DomainError, ValueError):
        raise DomainError("registry.bad_time", value=value) from None


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    answer = yes_no(str(value), yes=("有", "已认证"), no=("无", "未认证"))
    if answer is None:
        raise DomainError("registry.bad_bool", value=value)
    return answer


def parse_int(value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == int(value):
        number = int(value)
    else:
        folded = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        if not folded.isdigit():
            raise DomainError("registry.bad_int", value=value)
        number = int(folded)
    if number < 0:
        raise DomainError("registry.bad_int", value=value)
    return number


def parse_members(role: str, value: str) -> list[Member]:
    """'王五，科员，023-1234567，13800000000；李四' → members (name, post, office, mobile)."""
    members = []
    for chunk in unicodedata.normalize("NFKC", value).split(";"):
        parts = [p.strip() for p in chunk.split(",")]
        if not any(parts):
            continue
        if len(parts) > 4 or not parts[0]:
            raise DomainError("registry.bad_member", value=chunk.strip())
        name, post, office, mobile = (parts + ["", "", ""])[:4]
        if office and not _PHONE.match(office):
            raise DomainError("registry.bad_phone", value=office)
        if mobile and not _MOBILE.match(mobile):
            raise DomainError("registry.bad_mobile", value=mobile)
        members.append(Member(role, name, post, office, mobile))
    return members


@dataclass
class Record:
    """Parsed ledger values: Account attributes, the unit given, and the team if given."""

    values: dict[str, Any] = field(default_factory=dict)
    unit: str | None = None
    team: dict[str, list[Member]] | None = None  # by role; None: team not given

    def members(self) -> list[Member]:
        return [m for role in TEAM_ROLES for m in (self.team or {}).get(role, [])]


def parse_value(record: Record, col: Column, raw: Any, tz: ZoneInfo) -> None:
    """Set one column's value on the record; empty cells set nothing but an empty team."""
    text = "" if raw is None else (raw if isinstance(raw, str) else str(raw)).strip()
    if col.kind == "team":
        team = record.team if record.team is not None else {}
        team[col.key] = [*team.get(col.key, []), *parse_members(col.key, text)]
        record.team = team
        return
    if raw is None or text == "":
        if col.kind in _CLEARABLE:  # an empty cell clears; platform, status, content keep
            record.values[col.key] = _CLEARABLE[col.kind]
        return
    parsers: dict[str, Callable[[Any], Any]] = {
        "text": lambda v: text, "platform": lambda v: platform_code(text),
        "date": parse_date, "time": lambda v: parse_time(v, tz), "bool": parse_bool,
        "int": parse_int,
        "content": lambda v: _by_label(text, CONTENT_KINDS, content_label,
                                       "registry.bad_content"),
        "status": lambda v: _by_label(text, ACCOUNT_STATUSES, status_label,
                                      "registry.bad_status"),
    }
    if col.kind == "unit":
        record.unit = text
    else:
        record.values[col.key] = parsers[col.kind](raw)


async def team_of(account: Account) -> list[Member]:
    """The account's team; an account with no team rows shows its admins from the org file."""
    rows = await TeamMember.filter(account_id=account.id).order_by("id")
    if rows:
        order = {r: i for i, r in enumerate(TEAM_ROLES)}
        rows.sort(key=lambda r: order.get(r.role, len(order)))
        return [Member(r.role, r.name, r.post, r.office_phone, r.mobile) for r in rows]
    admins = await account.admins.filter(active=True).order_by("id")
    return [Member("admin", p.name) for p in admins]


async def set_team(account: Account, members: list[Member],
                   people: dict[tuple[str, str], Person] | None = None) -> None:
    """Replace the team; admins who are staff of the unit become the account's admins."""
    if people is None:
        people = await unit_people(account.unit_id)
    await TeamMember.filter(account_id=account.id).delete()
    await TeamMember.bulk_create([
        TeamMember(account_id=account.id, role=m.role, name=m.name, post=m.post,
                   office_phone=m.office_phone, mobile=m.mobile,
                   person=people.get((account.unit_id, m.name)))
        for m in members])
    admins = [people[(account.unit_id, m.name)] for m in members
              if m.role == "admin" and (account.unit_id, m.name) in people]
    await account.admins.clear()
    if admins:
        await account.admins.add(*admins)


async def unit_people(unit_id: str | None = None) -> dict[tuple[str, str], Person]:
    """Active people by (unit, name); a name two people share in one unit links to nobody."""
    query = Person.filter(active=True)
    people = await (query.filter(unit_id=unit_id) if unit_id else query)
    found: dict[tuple[str, str], Person] = {}
    shared: set[tuple[str, str]] = set()
    for p in people:
        key = (p.unit_id, p.name)
        if key in found:
            shared.add(key)
        found[key] = p
    return {k: v for k, v in found.items() if k not in shared}


def cell(account: Account, col: Column, unit_name: str, team: list[Member],
         tz: ZoneInfo) -> str:
    """The ledger text of one column, as `accounts export` writes it and import reads it."""
    if col.kind == "team":
        return "；".join(m.text() for m in team if m.role == col.key)
    if col.kind == "unit":
        return unit_name
    value = getattr(account, col.key)
    if value is None:
        return ""
    formats: dict[str, Callable[[Any], str]] = {
        "platform": lambda v: label(f"platform.{v}"),
        "date": lambda v: v.strftime(DATE_FORMAT),
        "time": lambda v: v.astimezone(tz).strftime(TIME_FORMAT),
        "bool": lambda v: "是" if v else "否",
        "content": content_label, "status": status_label, "int": str,
    }
    return formats.get(col.kind, str)(value)
