"""Bootstrap is recorded (issue 14): `org load` and `accounts import` changes to accounts are
a 补录 on the registry history and in the audit; an admin removed there opens the R-SEC-3
password task."""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import demo, ledger_io, orgfile
from bot.ledger import COLUMNS
from models.deadlines import Deadline
from models.org import Account
from models.registry import Filing, FilingKind, FilingState
from models.system import AuditEvent

TZ = ZoneInfo("Asia/Shanghai")


def demo_text() -> str:
    return demo.DEMO_FILE.read_text(encoding="utf-8")


async def backfills() -> list[Filing]:
    return await Filing.filter(kind=FilingKind.BACKFILL).order_by("id")


async def test_org_load_records_backfill_and_password_task(db: None) -> None:
    """rule R-SEC-3: 王五 removed from 黔江文旅 in the org file → change its password now."""
    assert await backfills() == []  # the demo seed itself is no registry change
    org = orgfile.parse(demo_text())
    wenlv = next(a for a in org["accounts"] if a["name"] == "黔江文旅")
    assert "wangwu" in wenlv["admins"]
    wenlv["admins"] = [p for p in wenlv["admins"] if p != "wangwu"] or ["lisi"]
    org["accounts"].append({"name": "黔江文旅快讯", "platform": "douyin", "unit": "qj-wlw",
                            "content": "video", "admins": ["lisi"]})
    summary = await orgfile.apply(org)
    assert summary.backfilled == 2
    rows = await backfills()
    assert [(f.account_name, f.state, f.filer_id) for f in rows] == [  # type: ignore[attr-defined]
        ("黔江文旅", FilingState.APPROVED, None), ("黔江文旅快讯", FilingState.APPROVED, None)]
    assert rows[0].payload["admins_removed"] == ["王五"] and rows[1].payload["created"]
    events = await AuditEvent.filter(action="filing.backfill").order_by("seq")
    assert [e.subject for e in events] == [f"filing:{rows[0].id}", f"filing:{rows[1].id}"]
    task = await Deadline.get(kind="password_change")
    assert task.rule == "R-SEC-3" and "王五" in task.title
    assert task.subject == f"filing:{rows[0].id}" and task.done_at is None
    again = await orgfile.apply(org)  # the same file again: nothing new
    assert again.backfilled == 0 and len(await backfills()) == 2


async def test_accounts_import_records_backfill_and_password_task(db: None,
                                                                  tmp_path: Path) -> None:
    account = await Account.get(name="黔江文旅")
    admins = [p.name for p in await account.admins.all()]
    assert "王五" in admins
    row = {c.label: "" for c in COLUMNS}
    by_key = {c.key: c.label for c in COLUMNS}
    row[by_key["name"]] = "黔江文旅"
    row[by_key["platform"]] = "微信订阅号"
    row[by_key["unit"]] = "黔江区文化和旅游发展委员会"
    row[by_key["admin"]] = "李四，科员"
    path = tmp_path / "ledger.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(row))
        writer.writerow(list(row.values()))
    result = await ledger_io.import_ledger(str(path), TZ)
    assert result.written and result.backfilled == 1, result.errors
    filing = (await backfills())[0]
    assert filing.payload["source"] == "accounts import ledger.csv"
    assert "王五" in filing.payload["admins_removed"]
    task = await Deadline.get(kind="password_change")
    assert task.rule == "R-SEC-3" and "王五" in task.title
    assert await AuditEvent.filter(action="filing.backfill").count() == 1
