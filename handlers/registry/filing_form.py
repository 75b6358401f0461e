"""The filing form in chat: a first line `开设 账号名`, then one `字段：值` line each.

The field names are the filing form's (bot.ledger.COLUMNS) plus 理由, 新名称 and 离任.
The raw values are kept on the Filing under the columns' keys (never their labels, which
may be renamed) and parsed again when it is approved, so the card shows what the filer
wrote and the registry gets exactly what was approved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.errors import DomainError
from bot.ledger import BY_KEY, Record, column, column_labels, parse_value
from bot.rendering import render
from models.registry import FilingKind

REASON, NEW_NAME, LEAVER = "理由", "新名称", "离任"
_LINE = re.compile(r"^(?P<key>[^:]{1,12}?)\s*:\s*(?P<value>.*)$")
# the columns a filing may not set: the unit is the filer's, the rest the bot keeps itself
_NEVER = {"unit", "name", "last_update_at", "password_changed_at"}
_EXTRAS = {
    FilingKind.OPEN: {REASON},
    FilingKind.BACKFILL: {REASON},
    FilingKind.CHANGE: {REASON, NEW_NAME, LEAVER},
    FilingKind.SUSPEND: {REASON},
    FilingKind.RESUME: {REASON},
    FilingKind.CLOSE: {REASON},
    FilingKind.CANCEL: {REASON},
}
_NO_COLUMNS = (FilingKind.SUSPEND, FilingKind.RESUME, FilingKind.CLOSE, FilingKind.CANCEL)


@dataclass
class FilingForm:
    fields: list[tuple[str, str]] = field(default_factory=list)  # (column key, value as typed)
    reason: str = ""
    new_name: str = ""
    leavers: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, object]:
        return {"fields": [list(f) for f in self.fields], "reason": self.reason,
                "new_name": self.new_name, "leavers": self.leavers}

    @classmethod
    def from_payload(cls, payload: dict[str, object]) -> FilingForm:
        pairs = payload.get("fields") or []
        assert isinstance(pairs, list)
        return cls([(str(k), str(v)) for k, v in pairs], str(payload.get("reason", "")),
                   str(payload.get("new_name", "")), list(payload.get("leavers") or []))  # type: ignore[call-overload]

    def labelled(self) -> list[tuple[str, str]]:
        """(label, value) for the card: the columns' labels as they read today."""
        return [(BY_KEY[key].label, value) for key, value in self.fields]

    def values(self, key: str) -> list[str]:
        """The values given for one column, in the order typed."""
        return [value for k, value in self.fields if k == key]

    def record(self, tz: ZoneInfo) -> Record:
        record = Record()
        for key, raw in self.fields:
            col = BY_KEY[key]
            try:
                parse_value(record, col, raw, tz)
            except DomainError as exc:
                raise DomainError("filing.bad_field", label=col.label,
                                  detail=exc.text()) from None
        return record


def _key(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip()


def parse_form(kind: FilingKind, lines: Sequence[str], tz: ZoneInfo) -> FilingForm:
    """Parse and check every line; DomainError names the first bad one."""
    form = FilingForm()
    for line in lines:
        if not line.strip():
            continue
        match = _LINE.match(unicodedata.normalize("NFKC", line.strip()))
        if not match:
            raise DomainError("filing.bad_line", line=line.strip()[:30], usage=usage_text(kind))
        key = _key(match["key"])
        value = re.split(r"[:：]", line.strip(), maxsplit=1)[1].strip()  # as typed, for the card
        _take(form, kind, key, value)
    form.record(tz)  # every value must parse now, not at approval time
    if kind in _NO_COLUMNS and not form.reason:
        raise DomainError("filing.reason_required", usage=usage_text(kind))
    return form


def _take(form: FilingForm, kind: FilingKind, key: str, value: str) -> None:
    if key in _EXTRAS[kind]:
        if key == REASON:
            form.reason = "\n".join(filter(None, [form.reason, value]))
        elif key == NEW_NAME:
            form.new_name = value
        else:
            form.leavers.extend(n.strip() for n in re.split(r"[,、;]", value) if n.strip())
        return
    col = column(key)
    allowed = kind not in _NO_COLUMNS and col is not None and col.key not in _NEVER
    if col is not None and col.key == "status" and kind != FilingKind.BACKFILL:
        allowed = False
    if col is not None and col.key == "platform" and kind == FilingKind.CHANGE:
        allowed = False  # another platform is another account: 开设 it
    if not allowed:
        raise DomainError("filing.unknown_field", key=key, usage=usage_text(kind))
    assert col is not None
    form.fields.append((col.key, value))


def usage_text(kind: FilingKind) -> str:
    """The usage text of one filing kind, for replies to bad input."""
    return render("text/filing_usage.md.j2", kind=str(kind), c=column_labels())
