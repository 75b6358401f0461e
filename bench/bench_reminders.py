"""One reminder scan over a big SQLite registry: time and peak memory, 10k → 100k accounts.

    .venv/bin/python bench/bench_reminders.py [--sizes 10000,100000] [--due 500]

For each size it builds a database with raw executemany (10 drafts per account with two
decided review steps each, 10,000 open relay targets, 10,000 open deadlines, a reminder
history), with a fixed number of items actually due, then runs in a fresh process:
the first scan (claims everything due), a repeat scan a minute later (steady state),
and the 09:00 digest scan. Time is wall clock; memory is the tracemalloc peak of the
scan (on a separate copy of the database) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 17, 8, 45, tzinfo=TZ)  # a Monday, before the 09:00 digests
SCANS = (("first", NOW), ("repeat", NOW + timedelta(minutes=1)),
         ("digest", NOW.replace(hour=9, minute=0)))
UNIT_ACCOUNTS = 100
OFFICES = 10
OPEN_TARGETS = 10_000
OPEN_DEADLINES = 10_000
OPEN_DRAFTS = 2_000


def ts(moment: datetime) -> str:
    return str(moment.astimezone(UTC).replace(microsecond=0))


def ago(days: float) -> str:
    return ts(NOW - timedelta(days=days))


def build(path: Path, accounts: int, due: int, seed: int = 7) -> None:
    """Create the schema through Tortoise, then fill it with executemany."""
    from bot.db import close_db, init_db

    async def schema() -> None:
        await init_db(f"sqlite://{path}")
        await close_db()

    asyncio.run(schema())
    rnd = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA journal_mode=MEMORY")
    units = accounts // UNIT_ACCOUNTS
    db.execute("INSERT INTO unit (id, name, active, parent_id) "
               "VALUES ('gov', '市政府办公室', 1, NULL)")
    db.executemany("INSERT INTO unit VALUES (?, ?, 1, 'gov')",
                   [(f"o{i}", f"区县办公室{i}") for i in range(OFFICES)])
    db.executemany("INSERT INTO unit VALUES (?, ?, 1, ?)",
                   [(f"u{i}", f"单位{i}", f"o{i % OFFICES}") for i in range(units)])
    people = [(f"s{i}", f"督办{i}", '["supervisor"]', None, None, 1, f"o{i}")
              for i in range(OFFICES)]
    for i in range(units):
        people += [(f"{role[0]}{i}", f"{role}{i}", json.dumps([role]), None, None, 1, f"u{i}")
                   for role in ("editor", "reviewer", "approver", "chief")]
    db.executemany("INSERT INTO person VALUES (?, ?, ?, ?, ?, ?, ?)", people)
    stale = set(rnd.sample(range(accounts), due))
    pw_due = set(rnd.sample(range(accounts), due))
    rows = []
    for a in range(accounts):
        last = rnd.uniform(5, 20) if a in stale else rnd.uniform(0, 4)
        changed = rnd.uniform(84, 100) if a in pw_due else rnd.uniform(0, 60)
        status = "suspended" if a % 20 == 0 else "normal"
        content = "video" if a % 5 == 0 else "text"
        rows.append((a + 1, f"账号{a}", "weibo", content, status, ago(last), ago(changed),
                     ago(400), f"u{a // UNIT_ACCOUNTS}"))
    db.executemany("INSERT INTO account VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO account_admin VALUES (?, ?)",
                   [(a + 1, f"e{a // UNIT_ACCOUNTS}") for a in range(accounts)])
    _drafts(db, rnd, accounts)
    _tasks(db, rnd, units, due)
    # history: one old reminder per account for an earlier stale period
    db.executemany("INSERT INTO reminder_log (subject, kind, stage, recipients, scan, at) "
                   "VALUES (?, 'stale', 'due', '[]', 'old', ?)",
                   [(f"account:{a + 1}@20250101T000000", ago(300)) for a in range(accounts)])
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _drafts(db: sqlite3.Connection, rnd: random.Random, accounts: int) -> None:
    drafts, steps, total = [], [], accounts * 10
    for d in range(1, total + 1):
        account = rnd.randrange(accounts)
        unit = account // UNIT_ACCOUNTS
        open_ = d > total - OPEN_DRAFTS
        created = ago(rnd.uniform(0.1, 2) if open_ else rnd.uniform(1, 700))
        drafts.append((d, "标题", "正文", None, 0, 1, "reviewing" if open_ else "published",
                       2 if open_ else 3, None, None, created, created, account + 1,
                       f"e{unit}", None))
        steps.append((2, "reviewer", "" , None if open_ else "approve", "", created,
                      None if open_ else created, f"r{unit}", d))
        if not open_:
            steps.append((3, "approver", "", "approve", "", created, created, f"a{unit}", d))
        if len(drafts) >= 50_000:
            _flush_drafts(db, drafts, steps)
    _flush_drafts(db, drafts, steps)


def _flush_drafts(db: sqlite3.Connection, drafts: list, steps: list) -> None:  # type: ignore[type-arg]
    db.executemany("INSERT INTO draft VALUES (" + ",".join("?" * 15) + ")", drafts)
    db.executemany("INSERT INTO review_step (version, level, role, escalation_note, decision, "
                   "comment, created_at, decided_at, assignee_id, draft_id) "
                   "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)", steps)
    drafts.clear()
    steps.clear()


def _tasks(db: sqlite3.Connection, rnd: random.Random, units: int, due: int) -> None:
    per_task = 10
    tasks, targets = [], []
    for t in range(1, OPEN_TARGETS // per_task + 1):
        # most tasks are fresh; `due // per_task` of them are near or past their deadline
        hours_left = rnd.uniform(-4, 3) if t <= due // per_task else rnd.uniform(4, 12)
        due_at = NOW + timedelta(hours=hours_left)
        tasks.append((t, "https://www.gov.cn/x.html", "通知", ts(due_at - timedelta(hours=12)),
                      ts(due_at), f"s{t % OFFICES}", f"o{t % OFFICES}"))
        targets += [(ts(due_at), t, f"u{rnd.randrange(units)}") for _ in range(per_task)]
    db.executemany("INSERT INTO relay_task VALUES (?, ?, ?, ?, ?, ?, ?)", tasks)
    db.executemany("INSERT OR IGNORE INTO relay_target (due_at, task_id, unit_id) "
                   "VALUES (?, ?, ?)", targets)
    deadlines = []
    for d in range(OPEN_DEADLINES):
        days = rnd.uniform(-3, 2) if d < due else rnd.uniform(5, 60)
        deadlines.append(("announce", "R-ACC-2", f"filing:{d}", "变更公示",
                          ts(NOW + timedelta(days=days)), ago(10), f"u{rnd.randrange(units)}"))
    db.executemany("INSERT INTO deadline (kind, rule, subject, title, due_at, created_at, "
                   "unit_id) VALUES (?, ?, ?, ?, ?, ?, ?)", deadlines)


async def _scans(path: Path, trace: bool) -> list[dict[str, float]]:
    from bot.config import Settings
    from bot.db import close_db, init_db
    from bot.scheduler import run_scan

    settings = Settings(database_url=f"sqlite://{path}")
    await init_db(settings.database_url, generate_schemas=False)
    results = []
    for name, moment in SCANS:
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        report = await run_scan(settings, moment)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        if trace:
            tracemalloc.stop()
        results.append({"scan": name, "seconds": elapsed, "peak_mb": peak / 2**20,
                        "claimed": report.claimed, "messages": report.messages,
                        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    await close_db()
    return results


def child(path: str, trace: bool) -> None:
    print(json.dumps(asyncio.run(_scans(Path(path), trace))))


def measure(template: Path, trace: bool) -> list[dict[str, float]]:
    copy = template.with_suffix(".run.db")
    shutil.copy(template, copy)
    out = subprocess.run([sys.executable, __file__, "--child", str(copy)]
                         + (["--trace"] if trace else []),
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
    copy.unlink()
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--due", type=int, default=500, help="stale and password-due accounts")
    parser.add_argument("--child")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.trace)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"bench{size}.db"
            started = time.perf_counter()
            build(path, size, args.due)
            print(f"\n{size:,} accounts, {size * 10:,} drafts, {OPEN_TARGETS:,} open relay "
                  f"targets, {OPEN_DEADLINES:,} open deadlines, {args.due} stale + "
                  f"{args.due} password-due (built in {time.perf_counter() - started:.1f} s, "
                  f"{path.stat().st_size / 2**20:.0f} MB)")
            timed, traced = measure(path, False), measure(path, True)
            for t, m in zip(timed, traced, strict=True):
                print(f"  {t['scan']:>6}: {t['seconds'] * 1000:7.0f} ms  "
                      f"scan peak {m['peak_mb']:6.1f} MB  process RSS {t['rss_mb']:6.0f} MB  "
                      f"claimed {t['claimed']:>5}  messages {t['messages']:>5}")


if __name__ == "__main__":
    main()
