"""One reminder scan over a big registry: time and peak memory, 10k → 100k accounts.

    .venv/bin/python bench/bench_reminders.py [--sizes 10000,100000] [--due 500]
                                              [--db sqlite|postgres]

For each size it builds a database (10 drafts per account with two decided review steps
each, 10,000 open relay targets, 10,000 open deadlines, a reminder history), with a fixed
number of items actually due, then runs in a fresh process: the first scan (claims
everything due), a repeat scan a minute later (steady state), and the 09:00 digest scan.
Time is wall clock; memory is the tracemalloc peak of the scan (on a separate copy of the
database) and the process's peak RSS (the bot process only, not the database server).

Both backends load the same rows from one description (`dataset`): SQLite with
executemany, PostgreSQL with asyncpg's COPY into a scratch database `govmedia_bench_<pid>`
on 127.0.0.1:5432 (user postgres), dropped at the end; each run scans a copy made with
CREATE DATABASE ... TEMPLATE.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
BATCH = 50_000
PG_SERVER = "postgres://postgres@127.0.0.1:5432"

Row = tuple[object, ...]
Chunk = tuple[str, tuple[str, ...], list[Row]]  # table, columns, rows


# --- the data set (one description for every backend) ---------------------------------

def ts(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def ago(days: float) -> datetime:
    return ts(NOW - timedelta(days=days))


def batched(table: str, columns: tuple[str, ...], rows: Iterable[Row]) -> Iterator[Chunk]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH:
            yield table, columns, chunk
            chunk = []
    if chunk:
        yield table, columns, chunk


def dataset(accounts: int, due: int, seed: int = 7) -> Iterator[Chunk]:
    """Every row of the bench database, table by table in foreign-key order. Values are
    Python values (aware UTC datetimes, bools, JSON as text); a loader adapts them."""
    rnd = random.Random(seed)
    units = accounts // UNIT_ACCOUNTS
    yield from _org(units)
    yield from _accounts(rnd, accounts, due)
    yield from _drafts(rnd, accounts)
    yield from _tasks(rnd, units, due)
    # history: one old reminder per account for an earlier stale period
    yield from batched("reminder_log", ("subject", "kind", "stage", "recipients", "scan", "at"),
                       ((f"account:{a + 1}@20250101T000000", "stale", "due", "[]", "old",
                         ago(300)) for a in range(accounts)))


def _org(units: int) -> Iterator[Chunk]:
    units_rows: list[Row] = [("gov", "市政府办公室", True, None)]
    units_rows += [(f"o{i}", f"区县办公室{i}", True, "gov") for i in range(OFFICES)]
    units_rows += [(f"u{i}", f"单位{i}", True, f"o{i % OFFICES}") for i in range(units)]
    yield "unit", ("id", "name", "active", "parent_id"), units_rows
    people: list[Row] = [(f"s{i}", f"督办{i}", '["supervisor"]', True, f"o{i}")
                         for i in range(OFFICES)]
    for i in range(units):
        people += [(f"{role[0]}{i}", f"{role}{i}", json.dumps([role]), True, f"u{i}")
                   for role in ("editor", "reviewer", "approver", "chief")]
    yield "person", ("id", "name", "roles", "active", "unit_id"), people


def _accounts(rnd: random.Random, accounts: int, due: int) -> Iterator[Chunk]:
    stale = set(rnd.sample(range(accounts), due))
    pw_due = set(rnd.sample(range(accounts), due))
    rows: list[Row] = []
    for a in range(accounts):
        last = rnd.uniform(5, 20) if a in stale else rnd.uniform(0, 4)
        changed = rnd.uniform(84, 100) if a in pw_due else rnd.uniform(0, 60)
        status = "suspended" if a % 20 == 0 else "normal"
        content = "video" if a % 5 == 0 else "text"
        rows.append((a + 1, f"账号{a}", "weibo", content, status, ago(last), ago(changed),
                     ago(400), f"u{a // UNIT_ACCOUNTS}"))
    yield from batched("account", ("id", "name", "platform", "content", "status",
                                   "last_update_at", "password_changed_at", "created_at",
                                   "unit_id"), rows)
    yield from batched("account_admin", ("account_id", "person_id"),
                       ((a + 1, f"e{a // UNIT_ACCOUNTS}") for a in range(accounts)))


DRAFT_COLUMNS = ("id", "title", "body", "important", "version", "state", "level",
                 "created_at", "updated_at", "account_id", "author_id")
STEP_COLUMNS = ("version", "level", "role", "escalation_note", "decision", "comment",
                "created_at", "decided_at", "assignee_id", "draft_id")


def _drafts(rnd: random.Random, accounts: int) -> Iterator[Chunk]:
    drafts: list[Row] = []
    steps: list[Row] = []
    total = accounts * 10
    for d in range(1, total + 1):
        account = rnd.randrange(accounts)
        unit = account // UNIT_ACCOUNTS
        open_ = d > total - OPEN_DRAFTS
        created = ago(rnd.uniform(0.1, 2) if open_ else rnd.uniform(1, 700))
        drafts.append((d, "标题", "正文", False, 1, "reviewing" if open_ else "published",
                       2 if open_ else 3, created, created, account + 1, f"e{unit}"))
        steps.append((1, 2, "reviewer", "", None if open_ else "approve", "", created,
                      None if open_ else created, f"r{unit}", d))
        if not open_:
            steps.append((1, 3, "approver", "", "approve", "", created, created, f"a{unit}", d))
        if len(drafts) >= BATCH or d == total:
            yield "draft", DRAFT_COLUMNS, drafts
            yield "review_step", STEP_COLUMNS, steps
            drafts, steps = [], []


def _tasks(rnd: random.Random, units: int, due: int) -> Iterator[Chunk]:
    per_task = 10
    tasks: list[Row] = []
    targets: list[Row] = []
    for t in range(1, OPEN_TARGETS // per_task + 1):
        # most tasks are fresh; `due // per_task` of them are near or past their deadline
        hours_left = rnd.uniform(-4, 3) if t <= due // per_task else rnd.uniform(4, 12)
        due_at = NOW + timedelta(hours=hours_left)
        tasks.append((t, "https://www.gov.cn/x.html", "通知", ts(due_at - timedelta(hours=12)),
                      ts(due_at), f"s{t % OFFICES}", f"o{t % OFFICES}"))
        # one target per unit and task (a unit drawn twice is one target)
        chosen = dict.fromkeys(f"u{rnd.randrange(units)}" for _ in range(per_task))
        targets += [(ts(due_at), t, unit) for unit in chosen]
    yield "relay_task", ("id", "source_url", "title", "received_at", "due_at",
                         "created_by_id", "unit_id"), tasks
    yield "relay_target", ("due_at", "task_id", "unit_id"), targets
    deadlines: list[Row] = []
    for d in range(OPEN_DEADLINES):
        days = rnd.uniform(-3, 2) if d < due else rnd.uniform(5, 60)
        deadlines.append(("announce", "R-ACC-2", f"filing:{d}", "变更公示",
                          ts(NOW + timedelta(days=days)), ago(10), f"u{rnd.randrange(units)}"))
    yield "deadline", ("kind", "rule", "subject", "title", "due_at", "created_at",
                       "unit_id"), deadlines


# --- loaders ----------------------------------------------------------------------------

async def create_schema(url: str) -> None:
    from bot.db import close_db, init_db

    await init_db(url)
    await close_db()


def _sqlite_value(value: object) -> object:
    # the text form Tortoise reads back (and compares as text)
    return str(value) if isinstance(value, datetime) else value


def load_sqlite(path: Path, chunks: Iterable[Chunk]) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA journal_mode=MEMORY")
    for table, columns, rows in chunks:
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                       f"VALUES ({', '.join('?' * len(columns))})",
                       [tuple(_sqlite_value(v) for v in row) for row in rows])
    db.commit()
    db.execute("ANALYZE")
    db.close()


async def load_postgres(dsn: str, chunks: Iterable[Chunk]) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        with_ids: set[str] = set()
        for table, columns, rows in chunks:
            await conn.copy_records_to_table(table, records=rows, columns=list(columns))
            with_ids |= {table} if "id" in columns else set()
        # explicit ids bypassed the serial sequences; move them past the loaded rows
        for table in with_ids:
            sequence = await conn.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
            if sequence:
                await conn.execute(f"SELECT setval('{sequence}', max(id)) FROM {table}")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


# --- backends ---------------------------------------------------------------------------

class SqliteBackend:
    def __init__(self, tmp: Path) -> None:
        self.path = tmp / "bench.db"

    def build(self, accounts: int, due: int) -> str:
        self.path.unlink(missing_ok=True)
        asyncio.run(create_schema(f"sqlite://{self.path}"))
        load_sqlite(self.path, dataset(accounts, due))
        return f"{self.path.stat().st_size / 2**20:.0f} MB"

    @contextmanager
    def copy(self) -> Iterator[str]:
        copy = self.path.with_suffix(".run.db")
        shutil.copy(self.path, copy)
        try:
            yield f"sqlite://{copy}"
        finally:
            copy.unlink()

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


class PostgresBackend:
    def __init__(self, server: str) -> None:
        self.server = server
        self.name = f"govmedia_bench_{os.getpid()}"

    def _admin(self, *statements: str) -> object:
        import asyncpg

        async def run() -> object:
            conn = await asyncpg.connect(f"{self.server}/postgres")
            try:
                result = None
                for sql in statements:
                    result = await conn.fetchval(sql)
                return result
            finally:
                await conn.close()

        return asyncio.run(run())

    def _drop(self, name: str) -> str:
        return f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"

    def build(self, accounts: int, due: int) -> str:
        self._admin(self._drop(self.name), f"CREATE DATABASE {self.name}")
        url = f"{self.server}/{self.name}"
        asyncio.run(create_schema(url))
        asyncio.run(load_postgres(url, dataset(accounts, due)))
        size = self._admin(f"SELECT pg_database_size('{self.name}')")
        return f"{int(size) / 2**20:.0f} MB"  # type: ignore[call-overload]

    @contextmanager
    def copy(self) -> Iterator[str]:
        run = f"{self.name}_run"
        self._admin(self._drop(run), f"CREATE DATABASE {run} TEMPLATE {self.name}")
        try:
            yield f"{self.server}/{run}"
        finally:
            self._admin(self._drop(run))

    def close(self) -> None:
        self._admin(self._drop(self.name))


Backend = SqliteBackend | PostgresBackend  # build(), copy(), close()


# --- scans ------------------------------------------------------------------------------

async def _scans(url: str, trace: bool) -> list[dict[str, float]]:
    from bot.config import Settings
    from bot.db import close_db, init_db
    from bot.scheduler import run_scan

    settings = Settings(database_url=url)
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


def child(url: str, trace: bool) -> None:
    print(json.dumps(asyncio.run(_scans(url, trace))))


def measure(backend: Backend, trace: bool) -> list[dict[str, float]]:
    with backend.copy() as url:
        out = subprocess.run([sys.executable, __file__, "--child", url]
                             + (["--trace"] if trace else []),
                             check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench(backend: Backend, db: str, size: int, due: int) -> None:
    started = time.perf_counter()
    stored = backend.build(size, due)
    print(f"\n{db}: {size:,} accounts, {size * 10:,} drafts, {OPEN_TARGETS:,} open relay "
          f"targets, {OPEN_DEADLINES:,} open deadlines, {due} stale + {due} password-due "
          f"(built in {time.perf_counter() - started:.1f} s, {stored})", flush=True)
    timed, traced = measure(backend, False), measure(backend, True)
    for t, m in zip(timed, traced, strict=True):
        print(f"  {t['scan']:>6}: {t['seconds'] * 1000:7.0f} ms  "
              f"scan peak {m['peak_mb']:6.1f} MB  process RSS {t['rss_mb']:6.0f} MB  "
              f"claimed {t['claimed']:>5}  messages {t['messages']:>5}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--due", type=int, default=500, help="stale and password-due accounts")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL, no db")
    parser.add_argument("--child", help="(internal) scan the database at this URL")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.trace)
        return
    with tempfile.TemporaryDirectory() as tmp:
        backend = (SqliteBackend(Path(tmp)) if args.db == "sqlite"
                   else PostgresBackend(args.pg_server))
        try:
            for size in (int(s) for s in args.sizes.split(",")):
                bench(backend, args.db, size, args.due)
        finally:
            backend.close()


if __name__ == "__main__":
    main()
