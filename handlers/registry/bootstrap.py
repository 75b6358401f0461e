"""Bootstrap changes are recorded (issue 14): `govmedia org load` and `accounts import` add or
change accounts without a filing, so each account they touch gets a 补录 on its registry
history (an approved BACKFILL filing with no filer: the command did it) and an audit event,
and an admin they remove opens the R-SEC-3 password task at once, as a 变更 would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot import audit
from handlers.registry.filing_effects import password_deadlines
from models.org import Account
from models.registry import Filing, FilingKind, FilingState


@dataclass
class AccountChange:
    """What one bootstrap command did to one account."""

    account: Account
    created: bool = False
    changed: dict[str, list[str]] = field(default_factory=dict)  # column: [before, after]
    admins_added: list[str] = field(default_factory=list)  # names
    admins_removed: list[str] = field(default_factory=list)  # names

    @property
    def any(self) -> bool:
        return bool(self.created or self.changed or self.admins_added or self.admins_removed)


def diff(row: Any, values: dict[str, Any]) -> dict[str, list[str]]:
    """The columns whose value changes, as text (for the audit and the registry history)."""
    return {k: [_text(getattr(row, k, None)), _text(v)] for k, v in values.items()
            if getattr(row, k, None) != v}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


async def record(source: str, actor: str, changes: list[AccountChange],
                 now: datetime) -> list[Filing]:
    """One 补录 per changed account, its audit event, and R-SEC-3 tasks for removed admins.
    Runs inside the command's transaction: all of it is written, or none."""
    filings = []
    for change in changes:
        if not change.any:
            continue
        account = change.account
        payload = {"fields": [], "reason": source, "new_name": "",
                   "leavers": change.admins_removed, "source": source,
                   "created": change.created, "changes": change.changed,
                   "admins_added": change.admins_added,
                   "admins_removed": change.admins_removed}
        filing = await Filing.create(
            kind=FilingKind.BACKFILL, state=FilingState.APPROVED,
            unit_id=account.unit_id,  # type: ignore[attr-defined]
            account=account, account_name=account.name, platform=account.platform,
            filer=None, payload=payload, decided_at=now)
        await audit.append(actor, "filing.backfill", f"filing:{filing.id}",
                           {"account": account.id, "name": account.name,
                            "platform": account.platform, **payload})
        if change.admins_removed:  # rule R-SEC-3: the password changes at once
            await password_deadlines(filing, [account], change.admins_removed, now)
        filings.append(filing)
    return filings
