"""`accounts import` / `accounts export`: the ledger as a CSV or XLSX spreadsheet.

Import validates every row first and writes nothing when any row is bad (unless the
caller skips bad rows); then it writes all good rows in one transaction.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from bot import audit
from bot.clock import utcnow
from bot.errors import BotError, DomainError, os_reason
from bot.ledger import (
    BY_KEY,
    COLUMNS,
    REQUIRED,
    Column,
    Record,
    cell,
    column,
    parse_value,
    set_team,
    team_of,
    unit_people,
)
from bot.rendering import msg
from handlers.registry import bootstrap
from handlers.registry.bootstrap import AccountChange, diff
from models.org import Account, Unit

# a ledger of a few thousand accounts is well under 1 MB; anything far larger is a mistake
MAX_IMPORT_BYTES = 5 * 1024 * 1024
EXPORT_FORMATS = ("csv", "xlsx")


class LedgerFileError(BotError):
    """The file as a whole cannot be read (size, format, columns); str() says why."""


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    backfilled: int = 0  # accounts given a 补录 (handlers/registry/bootstrap.py)


@dataclass
class _Row:
    number: int
    record: Record
    unit_id: str = ""


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError(msg("ledger.bad_encoding"))


def read_table(path: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the data rows (numbered as in the spreadsheet) of a CSV or XLSX file."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise LedgerFileError(msg("ledger.read_failed", path=path, error=os_reason(exc))) from None
    if size > MAX_IMPORT_BYTES:
        raise LedgerFileError(msg("ledger.too_big", size=size // (1024 * 1024) or 1,
                                  limit=MAX_IMPORT_BYTES // (1024 * 1024)))
    rows: list[Sequence[Any]]
    if Path(path).suffix.lower() == ".xlsx":
        rows = list(_xlsx_rows(path))
    else:
        rows = list(csv.reader(io.StringIO(_decode(Path(path).read_bytes()))))
    numbered = [(i + 1, list(r)) for i, r in enumerate(rows)
                if any(c is not None and str(c).strip() for c in r)]
    if not numbered:
        raise LedgerFileError(msg("ledger.empty"))
    (_, header), *data = numbered
    return [("" if h is None else str(h)).strip() for h in header], data


def _xlsx_rows(path: str) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook  # ~13 MB: only when an XLSX file is read

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise LedgerFileError(msg("ledger.bad_xlsx", error=type(exc).__name__)) from None
    try:
        return list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def _columns(header: list[str]) -> list[Column | None]:
    cols = [column(h) if h else None for h in header]
    unknown = [h for h, c in zip(header, cols, strict=True) if h and c is None]
    if unknown:
        raise LedgerFileError(msg("ledger.unknown_columns", columns=unknown,
                                  allowed=[c.label for c in COLUMNS]))
    keys = [c.key for c in cols if c]
    missing = [BY_KEY[key].label for key in REQUIRED if key not in keys]
    twice = sorted({BY_KEY[key].label for key in keys if keys.count(key) > 1})
    if missing or twice:
        raise LedgerFileError(msg("ledger.bad_columns", missing=missing,
                                  twice=twice))
    return cols


async def _units() -> dict[str, str]:
    """Unit id or name → id, active units only; a name two units share resolves to nothing."""
    units = await Unit.filter(active=True)
    names: dict[str, str | None] = {}
    for u in units:
        names[u.name] = None if u.name in names else u.id
    return {**{k: v for k, v in names.items() if v}, **{u.id: u.id for u in units}}


def _parse_row(number: int, cols: list[Column | None], cells: list[Any],
               tz: ZoneInfo) -> tuple[_Row, list[str]]:
    """The row's values and every problem found in it (not only the first)."""
    record = Record()
    problems: list[str] = []
    for col, raw in zip(cols, cells, strict=False):
        if col is not None:
            try:
                parse_value(record, col, raw, tz)
            except DomainError as exc:
                problems.append(msg("ledger.cell", column=col.label, detail=exc.text()))
    for key in REQUIRED:
        col = BY_KEY[key]
        given = record.unit if col.kind == "unit" else record.values.get(col.key)
        if not given and not any(p.startswith(f"“{col.label}”") for p in problems):
            problems.append(msg("ledger.missing_value", column=col.label))
    return _Row(number, record), problems


async def validate(path: str, tz: ZoneInfo) -> tuple[list[_Row], list[RowError]]:
    """Every row checked; each problem of a bad row is reported, in column order. An
    管理员 must be a person of the host unit (the org file): reminders go to them."""
    header, data = read_table(path)
    cols = _columns(header)
    units = await _units()
    people = await unit_people()
    good: list[_Row] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in data:
        row, problems = _parse_row(number, cols, cells, tz)
        row.unit_id = units.get(row.record.unit or "", "")
        if row.record.unit and not row.unit_id:
            problems.append(msg("ledger.unknown_unit", unit=row.record.unit))
        if row.unit_id:
            for member in row.record.members():
                if member.role == "admin" and (row.unit_id, member.name) not in people:
                    problems.append(msg("ledger.unknown_admin", name=member.name,
                                        unit=row.record.unit))
        key = (row.record.values.get("name"), row.record.values.get("platform"))
        if all(key) and key in seen:
            problems.append(msg("ledger.duplicate", first=seen[key]))
        elif all(key):
            seen[key] = number  # type: ignore[index]
        if problems:
            errors.extend(RowError(number, p) for p in problems)
        else:
            good.append(row)
    return good, errors


async def import_ledger(path: str, tz: ZoneInfo, *, skip_bad: bool = False,
                        actor: str = "cli") -> ImportResult:
    """Validate the whole file; write its rows in one transaction unless a row is bad."""
    rows, errors = await validate(path, tz)
    result = ImportResult(errors=errors)
    if errors and not skip_bad:
        return result
    async with in_transaction():
        existing = {(a.name, a.platform): a for a in await Account.all()}
        people = await unit_people()
        changes = [await _write(row, existing, people, result) for row in rows]
        # each account it adds or changes gets a 补录; a removed admin, the R-SEC-3 task
        result.backfilled = len(await bootstrap.record(
            f"accounts import {Path(path).name}", actor, changes, utcnow()))
        await audit.append(actor, "ledger.imported", "ledger",
                           {"file": Path(path).name, "created": result.created,
                            "updated": result.updated, "unchanged": result.unchanged,
                            "skipped": len(errors)})
    result.written = True
    return result


async def _write(row: _Row, existing: dict[tuple[str, str], Account], people: dict[Any, Any],
                 result: ImportResult) -> AccountChange:
    """Create or update one account; a row that changes nothing is counted as unchanged.
    What it did is returned for the account's 补录 (handlers/registry/bootstrap.py)."""
    values = dict(row.record.values, unit_id=row.unit_id)
    account = existing.get((values["name"], values["platform"]))
    if account is None:
        account = await Account.create(**values)
        result.created += 1
        if row.record.team is not None:
            await set_team(account, row.record.members(), people)
        return AccountChange(account, created=True, admins_added=sorted(
            m.name for m in row.record.members() if m.role == "admin"))
    changed = {k: v for k, v in values.items() if not _same(getattr(account, k), v)}
    before = await team_of(account)
    team_changed = row.record.team is not None and \
        [_member_key(m) for m in before] != [_member_key(m) for m in row.record.members()]
    change = AccountChange(account, changed=diff(account, changed))
    if changed:
        account.update_from_dict(changed)
        await account.save(update_fields=list(changed))
    if team_changed:
        await set_team(account, row.record.members(), people)
        old = {m.name for m in before if m.role == "admin"}
        new = {m.name for m in row.record.members() if m.role == "admin"}
        change.admins_added, change.admins_removed = sorted(new - old), sorted(old - new)
    if changed or team_changed:
        result.updated += 1
    else:
        result.unchanged += 1
    return change


def _same(stored: Any, given: Any) -> bool:
    """Equal as the ledger shows them: times to the minute (the export has no seconds), an
    empty text and a missing one alike."""
    if isinstance(stored, datetime) and isinstance(given, datetime):
        return stored.replace(second=0, microsecond=0) == given.replace(second=0, microsecond=0)
    return stored == given or (stored in (None, "") and given in (None, ""))


def _member_key(member: Any) -> tuple[str, str, str, str, str]:
    return (member.role, member.name, member.post, member.office_phone, member.mobile)


async def ledger_rows(tz: ZoneInfo) -> list[list[str]]:
    """The header and one row per account, in the columns import reads."""
    units = {u.id: u.name for u in await Unit.all()}
    rows = [[c.label for c in COLUMNS]]
    for account in await Account.all().order_by("id"):
        team = await team_of(account)
        rows.append([cell(account, c, units[account.unit_id], team, tz)
                     for c in COLUMNS])
    return rows


def to_csv(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write_xlsx(rows: Iterable[list[str]], path: str) -> None:
    from openpyxl import Workbook  # ~13 MB: only when an XLSX file is written

    book = Workbook(write_only=True)
    sheet = book.create_sheet(msg("ledger.sheet_title"))
    for row in rows:
        sheet.append(row)
    book.save(path)
