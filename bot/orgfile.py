"""The organisation file (TOML): validate all of it, then write it in one transaction."""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import tomli_w
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot import audit
from bot.clock import utcnow
from bot.config import Settings
from bot.errors import BotError
from bot.rendering import msg
from handlers.registry import bootstrap
from handlers.registry.bootstrap import AccountChange, diff
from models.org import CONTENT_KINDS, PLATFORMS, ROLES, Absence, Account, Person, Unit

SECTIONS = {
    "units": ({"id", "name"}, {"parent", "wecom_webhook_key"}),
    # rule R-SEC-6: vetted_on / trained_on, the dates of the confidentiality check and training
    # away: 请假 entries (issue 20), [{ from = 2026-12-01, to = 2026-12-05, deputy = "id" }]
    "people": ({"id", "name", "unit"}, {"roles", "wecom_id", "dingtalk_id", "vetted_on",
                                        "trained_on", "away"}),
    # rule R-UPD-3: limited_posting, the platform itself limits how often the account posts
    "accounts": ({"name", "platform", "unit"}, {"content", "admins", "limited_posting"}),
}


class OrgFileError(BotError):
    """The file is wrong somewhere; str() names the entry. Nothing was written."""


@dataclass
class LoadSummary:
    created: Counter[str] = field(default_factory=Counter)
    # rule R-SEC-6: account admins with no confidentiality check or training on record
    unchecked: list[str] = field(default_factory=list)
    updated: Counter[str] = field(default_factory=Counter)
    deactivated: Counter[str] = field(default_factory=Counter)
    backfilled: int = 0  # accounts given a 补录 (handlers/registry/bootstrap.py)

    @property
    def changed(self) -> bool:
        return any(c.total() for c in (self.created, self.updated, self.deactivated))


def _entry(section: str, index: int, item: dict[str, Any]) -> str:
    ident = item.get("id") or item.get("name") or ""
    return msg("org.entry", section=section, index=index + 1, ident=ident)


def _fail(key: str, where: str, **ctx: Any) -> OrgFileError:
    return OrgFileError(msg("org.error", where=where, detail=msg(key, **ctx)))


def _check_shape(section: str, index: int, item: Any) -> None:
    where = _entry(section, index, item if isinstance(item, dict) else {})
    if not isinstance(item, dict):
        raise _fail("org.not_table", where)
    required, optional = SECTIONS[section]
    unknown = sorted(set(item) - required - optional)
    if unknown:
        raise _fail("org.unknown_keys", where, keys=unknown)
    missing = sorted(k for k in required if not isinstance(item.get(k), str) or not item[k].strip())
    if missing:
        raise _fail("org.missing_keys", where, keys=missing)


def _check_unique(section: str, items: list[dict[str, Any]], key: Any) -> None:
    seen: set[Any] = set()
    for i, item in enumerate(items):
        if isinstance(key(item), tuple) and key(item)[-1] is None:
            continue  # an optional key left out
        if key(item) in seen:
            raise _fail("org.duplicate", _entry(section, i, item))
        seen.add(key(item))


def _check_units(units: list[dict[str, Any]]) -> None:
    ids = {u["id"] for u in units}
    parents = {u["id"]: u.get("parent") for u in units}
    for i, unit in enumerate(units):
        parent, seen = unit.get("parent"), {unit["id"]}
        if parent is not None and parent not in ids:
            raise _fail("org.missing_unit", _entry("units", i, unit), unit=parent)
        while parent is not None:
            if parent in seen:
                raise _fail("org.unit_cycle", _entry("units", i, unit))
            seen.add(parent)
            parent = parents[parent]


def _check_people(people: list[dict[str, Any]], unit_ids: set[str]) -> None:
    for i, person in enumerate(people):
        where = _entry("people", i, person)
        if person["unit"] not in unit_ids:
            raise _fail("org.missing_unit", where, unit=person["unit"])
        roles = person.get("roles", [])
        if not isinstance(roles, list):
            raise _fail("org.bad_roles", where, allowed=ROLES)
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise _fail("org.unknown_role", where, role=bad[0], allowed=ROLES)
        for key in STAFF_DATES:
            if key in person and _day(person[key]) is None:
                raise _fail("org.bad_date", where, name=key, value=person[key])
        _check_away(where, person, {p["id"] for p in people})


def _check_away(where: str, person: dict[str, Any], person_ids: set[str]) -> None:
    """people.away: a list of { from, to, [deputy] } tables, days in order, a known deputy."""
    away = person.get("away", [])
    if not isinstance(away, list) or not all(isinstance(a, dict) for a in away):
        raise _fail("org.bad_away", where)
    for entry in away:
        if set(entry) - {"from", "to", "deputy"} or not {"from", "to"} <= set(entry):
            raise _fail("org.bad_away", where)
        first, last = _day(entry["from"]), _day(entry["to"])
        if first is None or last is None or last < first:
            raise _fail("org.bad_away_days", where, first=entry["from"], last=entry["to"])
        deputy = entry.get("deputy")
        if deputy is not None and (deputy not in person_ids or deputy == person["id"]):
            raise _fail("org.bad_deputy", where, deputy=deputy)


STAFF_DATES = ("vetted_on", "trained_on")  # rule R-SEC-6


def _day(value: Any) -> date | None:
    """A TOML date (vetted_on = 2025-03-01) or the same as a string; None otherwise."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _check_accounts(accounts: list[dict[str, Any]], unit_ids: set[str],
                    person_ids: set[str]) -> None:
    for i, account in enumerate(accounts):
        where = _entry("accounts", i, account)
        if account["platform"] not in PLATFORMS:
            raise _fail("org.unknown_platform", where, platform=account["platform"],
                        allowed=PLATFORMS)
        if account["unit"] not in unit_ids:
            raise _fail("org.missing_unit", where, unit=account["unit"])
        if account.get("content", "text") not in CONTENT_KINDS:
            raise _fail("org.unknown_content", where, content=account.get("content"))
        if not isinstance(account.get("limited_posting", False), bool):
            raise _fail("org.bad_limited_posting", where)
        admins = account.get("admins", [])
        if not isinstance(admins, list):
            raise _fail("org.bad_admins", where)
        missing = [a for a in admins if a not in person_ids]
        if missing:
            raise _fail("org.missing_person", where, person=missing[0])


def parse(text: str) -> dict[str, list[dict[str, Any]]]:
    """Parse and validate the whole file; OrgFileError names the first bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OrgFileError(msg("org.syntax", error=str(exc))) from None
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise OrgFileError(msg("org.unknown_sections", keys=unknown))
    org = {s: data.get(s, []) for s in SECTIONS}
    for section, items in org.items():
        if not isinstance(items, list):
            raise OrgFileError(msg("org.not_array", section=section))
        for i, item in enumerate(items):
            _check_shape(section, i, item)
    _check_unique("units", org["units"], lambda u: u["id"])
    _check_unique("people", org["people"], lambda p: p["id"])
    _check_unique("people", org["people"], lambda p: ("wecom", p.get("wecom_id")))
    _check_unique("people", org["people"], lambda p: ("dingtalk", p.get("dingtalk_id")))
    _check_unique("accounts", org["accounts"], lambda a: (a["name"], a["platform"]))
    _check_units(org["units"])
    unit_ids = {u["id"] for u in org["units"]}
    _check_people(org["people"], unit_ids)
    _check_accounts(org["accounts"], unit_ids, {p["id"] for p in org["people"]})
    return org


async def _upsert(model: Any, summary: LoadSummary, kind: str, lookup: dict[str, Any],
                  values: dict[str, Any]) -> Any:
    row = await model.get_or_none(**lookup)
    if row is None:
        summary.created[kind] += 1
        return await model.create(**lookup, **values)
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed:
        summary.updated[kind] += 1
        await model.filter(**lookup).update(**changed)
        await row.refresh_from_db()
    return row


async def _apply_units(units: list[dict[str, Any]], summary: LoadSummary) -> None:
    for unit in units:
        await _upsert(Unit, summary, "units", {"id": unit["id"]},
                      {"name": unit["name"], "active": True,
                       "wecom_webhook_key": unit.get("wecom_webhook_key")})
    for unit in units:
        row = await Unit.get(id=unit["id"])
        if row.parent_id != unit.get("parent"):
            await Unit.filter(id=unit["id"]).update(parent_id=unit.get("parent"))
            summary.updated["units"] += 1
    gone = await Unit.filter(active=True).exclude(id__in=[u["id"] for u in units]) \
        .update(active=False)
    if gone:
        summary.deactivated["units"] += gone


async def _apply_people(people: list[dict[str, Any]], summary: LoadSummary) -> None:
    for person in people:
        # dates left out keep what chat recorded (`保密审查`, `培训`)
        dates = {k: _day(person[k]) for k in STAFF_DATES if k in person}
        await _upsert(Person, summary, "people", {"id": person["id"]},
                      {"name": person["name"], "unit_id": person["unit"],
                       "roles": list(person.get("roles", [])), "active": True,
                       "wecom_id": person.get("wecom_id"),
                       "dingtalk_id": person.get("dingtalk_id"), **dates})
    gone = await Person.filter(active=True).exclude(id__in=[p["id"] for p in people]) \
        .update(active=False)
    if gone:
        summary.deactivated["people"] += gone


async def _apply_away(people: list[dict[str, Any]], tz: ZoneInfo,
                      summary: LoadSummary) -> None:
    """请假 from the file replaces the file's earlier entries; absences set in chat stay, and
    so does an entry 销假 called off (the file still listing it does not bring it back; the
    same start with another end is another entry, and is applied)."""
    for person in people:
        called_off = await Absence.filter(person_id=person["id"], set_by=Absence.CALLED_OFF) \
            .values_list("starts_at", "file_ends_at")
        held = {(start, end) for start, end in called_off if end is not None}
        held_start = {start for start, end in called_off if end is None}  # before 0019
        wanted = sorted((span, a.get("deputy")) for a in person.get("away", [])
                        if (span := _span(a, tz)) not in held and span[0] not in held_start)
        rows = await Absence.filter(person_id=person["id"], set_by=Absence.FROM_FILE) \
            .order_by("id")
        current = sorted(((r.starts_at, r.ends_at), r.deputy_id) for r in rows)
        if current == wanted:
            continue
        await Absence.filter(person_id=person["id"], set_by=Absence.FROM_FILE).delete()
        for (starts_at, ends_at), deputy in wanted:
            await Absence.create(person_id=person["id"], starts_at=starts_at, ends_at=ends_at,
                                 deputy_id=deputy, set_by=Absence.FROM_FILE)
        summary.updated["people"] += 1


def _span(entry: dict[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime]:
    first, last = _day(entry["from"]), _day(entry["to"])
    assert first is not None and last is not None  # checked by parse()
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    return start, datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)


async def _apply_accounts(accounts: list[dict[str, Any]],
                          summary: LoadSummary) -> list[AccountChange]:
    """Write the accounts; what changed on each, for its 补录 (handlers/registry/bootstrap)."""
    changes = []
    for account in accounts:
        lookup = {"name": account["name"], "platform": account["platform"]}
        values = {"unit_id": account["unit"], "content": account.get("content", "text"),
                  "limited_posting": account.get("limited_posting", False)}
        before = await Account.get_or_none(**lookup)
        row = await _upsert(Account, summary, "accounts", lookup, values)
        change = AccountChange(row, created=before is None,
                               changed={} if before is None else diff(before, values))
        wanted = list(dict.fromkeys(account.get("admins", [])))
        current = sorted(await row.admins.all().values_list("id", flat=True))
        if current != sorted(wanted):
            names = dict(await Person.filter(id__in=[*current, *wanted])
                         .values_list("id", "name"))
            change.admins_added = [names.get(p, p) for p in wanted if p not in current]
            change.admins_removed = [names.get(p, p) for p in current if p not in wanted]
            await row.admins.clear()
            if wanted:
                await row.admins.add(*await Person.filter(id__in=wanted))
            summary.updated["accounts"] += 1
        changes.append(change)
    return changes


async def _unchecked_admins() -> list[str]:
    """rule R-SEC-6: the names of active account admins missing either date."""
    rows = await Person.filter(Q(vetted_on__isnull=True) | Q(trained_on__isnull=True),
                               active=True, admin_of__status="normal").distinct() \
        .order_by("id").values_list("id", "name")
    return [name for _, name in rows]


async def apply(org: dict[str, list[dict[str, Any]]], actor: str = "cli",
                tz: ZoneInfo | None = None, *, record: bool = True) -> LoadSummary:
    """Write a parsed file in one transaction; loading the same file twice changes nothing.
    tz: the office's time zone, for the days of 请假 entries (the default setting's).
    Each account it adds or changes gets a 补录 on its registry history and in the audit,
    and an admin it removes opens the R-SEC-3 password task (record=False: the demo seed)."""
    summary = LoadSummary()
    async with in_transaction():
        await _apply_units(org["units"], summary)
        await _apply_people(org["people"], summary)
        await _apply_away(org["people"], tz or ZoneInfo(Settings().timezone), summary)
        changes = await _apply_accounts(org["accounts"], summary)
        if record:
            summary.backfilled = len(await bootstrap.record("org load", actor, changes,
                                                            utcnow()))
        summary.unchecked = await _unchecked_admins()
        if summary.changed:
            await audit.append(actor, "org.loaded", "org",
                               {"created": dict(summary.created), "updated": dict(summary.updated),
                                "deactivated": dict(summary.deactivated)})
    return summary


async def _away_entries(tz: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    """The file's 请假 entries not yet over, as local days (chat-set ones are not the file's)."""
    found: dict[str, list[dict[str, Any]]] = {}
    now = utcnow()
    rows = Absence.filter(set_by=Absence.FROM_FILE, ends_at__gt=now).order_by("starts_at", "id")
    for row in await rows:
        last = (row.ends_at.astimezone(tz) - timedelta(days=1)).date()
        entry: dict[str, Any] = {"from": row.starts_at.astimezone(tz).date(), "to": last}
        if row.deputy_id:
            entry["deputy"] = row.deputy_id
        found.setdefault(row.person_id, []).append(entry)
    return found


async def export(tz: ZoneInfo | None = None) -> str:
    """The active organisation in the same TOML format `org load` reads."""
    units = [{"id": u.id, "name": u.name, **({"parent": u.parent_id} if u.parent_id else {}),
              **({"wecom_webhook_key": u.wecom_webhook_key} if u.wecom_webhook_key else {})}
             for u in await Unit.filter(active=True).order_by("id")]
    away = await _away_entries(tz or ZoneInfo(Settings().timezone))
    people = [{"id": p.id, "name": p.name, "unit": p.unit_id, "roles": list(p.roles),
               **{k: getattr(p, k) for k in ("wecom_id", "dingtalk_id", *STAFF_DATES)
                  if getattr(p, k)},
               **({"away": away[p.id]} if p.id in away else {})}
              for p in await Person.filter(active=True).order_by("id")]
    accounts = []
    for a in await Account.all().order_by("id"):
        admins = sorted(await a.admins.filter(active=True).values_list("id", flat=True))
        accounts.append({"name": a.name, "platform": a.platform, "unit": a.unit_id,
                         "content": a.content, "admins": admins,
                         **({"limited_posting": True} if a.limited_posting else {})})
    return tomli_w.dumps({"units": units, "people": people, "accounts": accounts})
