"""Ledger import/export speed: N accounts with full teams, in-memory SQLite.

Run: .venv/bin/python bench/bench_ledger.py [N]   (prints seconds per phase)
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import ledger_io, orgfile
from bot.db import close_db, init_db
from bot.ledger import COLUMNS

ORG = """
[[units]]
id = "gov"
name = "县政府办公室"

[[units]]
id = "wlj"
name = "县文旅局"
parent = "gov"
"""
TZ = ZoneInfo("Asia/Shanghai")


def ledger(n: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.label for c in COLUMNS])
    for i in range(n):
        writer.writerow([f"文旅资讯{i:05d}", f"gh_{i}", "抖音", "", "县文旅局", "宣传科",
                         "2021-03-05", "是", "否", "简介", f"https://example.gov.cn/{i}", "", "",
                         "视频", "刘芳，副局长，023-79223456，13800000001", "张明，科长",
                         "王五，科员，023-79223458，13800000003", "正常", str(i),
                         "2024-09-20 09:30", "2024-07-01 00:00"])
    return out.getvalue()


async def main(n: int) -> None:
    await init_db("sqlite://:memory:")
    await orgfile.apply(orgfile.parse(ORG))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.csv"
        path.write_text(ledger(n), encoding="utf-8")
        for phase in ("import", "re-import"):
            start = time.perf_counter()
            result = await ledger_io.import_ledger(str(path), TZ)
            print(f"{phase:10s} {n} rows: {time.perf_counter() - start:.3f}s "  # noqa: T201
                  f"(created {result.created}, updated {result.updated})")
        start = time.perf_counter()
        text = ledger_io.to_csv(await ledger_io.ledger_rows(TZ))
        print(f"export     {n} rows: {time.perf_counter() - start:.3f}s, "  # noqa: T201
              f"round trip {'exact' if text == path.read_text(encoding='utf-8') else 'DIFFERS'}")
    await close_db()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
