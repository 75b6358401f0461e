"""Reports over a province: 100,000 accounts and a year of drafts, time and peak memory.

    .venv/bin/python bench/bench_reports.py [--accounts 100000] [--drafts-per-account 12]
                                            [--db sqlite|postgres] [--keep FILE.db]

Builds one database (the loaders of bench_reminders.py: executemany on SQLite, COPY on
PostgreSQL): offices supervising units of 50 accounts, every account publishing through
the three review levels all year 2026 (some returned once, some with a pre-check error),
a few silent and zombie accounts, relay tasks to every unit, filing follow-ups. Then,
each in a fresh process, it times the quarterly inspection report for 2026Q4 (the data,
then the XLSX, then the PDF) for the whole province and for one office, the register
(审核登记簿) of one office's quarter, and one post's review record, with the process's
peak RSS. `--keep` leaves the SQLite database behind for looking at the files.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_reminders import (  # noqa: E402  (the shared loaders)
    PG_SERVER,
    Chunk,
    Row,
    batched,
    create_schema,
    load_postgres,
    load_sqlite,
)

TZ = ZoneInfo("Asia/Shanghai")
YEAR_START = datetime(2026, 1, 1, tzinfo=TZ)
NOW = datetime(2027, 1, 5, 9, 0, tzinfo=TZ)
QUARTER = "2026Q4"
PER_UNIT = 50
UNITS_PER_OFFICE = 100
TASKS_PER_OFFICE = 40
BATCH = 50_000


def ts(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def dataset(accounts: int, per_account: int, seed: int = 11) -> Iterator[Chunk]:
    rnd = random.Random(seed)
    units = max(1, accounts // PER_UNIT)
    offices = max(1, units // UNITS_PER_OFFICE)
    yield from _org(units, offices)
    yield from _accounts(rnd, accounts, per_account, seed)
    yield from _drafts(rnd, accounts, per_account, seed)
    yield from _relays(rnd, units, offices)
    yield from _followups(rnd, units)


def _org(units: int, offices: int) -> Iterator[Chunk]:
    rows: list[Row] = [("gov", "省政府办公厅", True, None)]
    rows += [(f"o{i}", f"市政府办公室{i}", True, "gov") for i in range(offices)]
    rows += [(f"u{i}", f"单位{i}", True, f"o{i % offices}") for i in range(units)]
    yield "unit", ("id", "name", "active", "parent_id"), rows
    people: list[Row] = [("sg", "督查处", '["supervisor"]', True, "gov")]
    people += [(f"s{i}", f"督办{i}", '["supervisor"]', True, f"o{i}") for i in range(offices)]
    for i in range(units):
        people += [(f"{role[0]}{i}", f"{role}{i}", json.dumps([role]), True, f"u{i}")
                   for role in ("editor", "reviewer", "approver", "chief")]
    yield "person", ("id", "name", "roles", "active", "unit_id"), people


def _silent(a: int) -> bool:
    return a % 97 == 0  # no update all year; every other one has no admin either (zombie)


def _publish_times(seed: int, a: int, count: int) -> list[datetime]:
    """The same times for an account each time they are asked for (its own generator)."""
    if _silent(a):
        return []
    rnd = random.Random(seed * 1_000_003 + a)
    # every 41st account stops three weeks before the year ends (R-UPD-5 veto)
    end = datetime(2026, 12, 10, tzinfo=TZ) if a % 41 == 0 else datetime(2026, 12, 31, 18,
                                                                          tzinfo=TZ)
    span = (end - YEAR_START).total_seconds()
    return sorted(YEAR_START + timedelta(seconds=rnd.uniform(0, span)) for _ in range(count))


DRAFT_COLUMNS = ("id", "title", "body", "important", "version", "state", "level",
                 "published_url", "published_at", "category", "created_at", "updated_at",
                 "account_id", "author_id")
STEP_COLUMNS = ("version", "level", "role", "escalation_note", "decision", "comment",
                "created_at", "decided_at", "assignee_id", "draft_id")
FINDING_COLUMNS = ("draft_id", "version", "seq", "kind", "severity", "rule", "start", "end",
                   "text", "suggestion", "snippet", "created_at")
REASONS = ("第二段日期有误", "标题不规范", "错别字", "来源未注明", "数据需核实")


def _drafts(rnd: random.Random, accounts: int, per_account: int,
            seed: int) -> Iterator[Chunk]:
    drafts: list[Row] = []
    steps: list[Row] = []
    findings: list[Row] = []
    draft_id = 0
    for a in range(accounts):
        unit = a // PER_UNIT
        for published in _publish_times(seed, a, per_account):
            draft_id += 1
            returned = rnd.random() < 0.08
            times = [published - timedelta(hours=rnd.uniform(0.1, 4))]
            for _ in range(3 if returned else 2):
                times.insert(0, times[0] - timedelta(hours=rnd.uniform(0.2, 30)))
            created = times[0]
            version = 2 if returned else 1
            drafts.append((draft_id, "标题", "正文", False, version, "published", 3,
                           "https://mp.weixin.qq.com/s/x", ts(published), "", ts(created),
                           ts(published), a + 1, f"e{unit}"))
            steps.append((1, 1, "editor", "", "approve", "", ts(created), ts(created),
                          f"e{unit}", draft_id))
            if returned:
                steps.append((1, 2, "reviewer", "", "reject", rnd.choice(REASONS), ts(times[0]),
                              ts(times[1]), f"r{unit}", draft_id))
                steps.append((2, 1, "editor", "", "approve", "", ts(times[1]), ts(times[1]),
                              f"e{unit}", draft_id))
            base = 1 if returned else 0
            steps.append((version, 2, "reviewer", "", "approve", "", ts(times[base]),
                          ts(times[base + 1]), f"r{unit}", draft_id))
            steps.append((version, 3, "approver", "", "approve", "", ts(times[base + 1]),
                          ts(times[base + 2]), f"a{unit}", draft_id))
            if rnd.random() < 0.05:
                findings.append((draft_id, 1, 1, "mobile", "error", "R-REV-8", 0, 11,
                                 "13800138000", "", "联系电话13800138000", ts(created)))
        if len(drafts) >= BATCH or a == accounts - 1:
            yield "draft", DRAFT_COLUMNS, drafts
            yield "review_step", STEP_COLUMNS, steps
            if findings:
                yield "precheck_finding", FINDING_COLUMNS, findings
            drafts, steps, findings = [], [], []


PLATFORMS = ("wechat_subscription", "weibo", "douyin", "wechat_service", "toutiao", "website")


def _accounts(rnd: random.Random, accounts: int, per_account: int,
              seed: int) -> Iterator[Chunk]:
    rows: list[Row] = []
    admins: list[Row] = []
    for a in range(accounts):
        acc = a + 1
        last = max(_publish_times(seed, a, per_account), default=NOW - timedelta(days=400))
        changed = NOW - timedelta(days=rnd.uniform(0, 130))
        status = "suspended" if a % 50 == 7 else "normal"
        rows.append((acc, f"账号{a}", PLATFORMS[a % len(PLATFORMS)],
                     "video" if a % 5 == 0 else "text", status, ts(last), ts(changed),
                     ts(datetime(2024, 6, 1, tzinfo=TZ)), f"u{a // PER_UNIT}", "", "", "", "",
                     "", "", ""))
        if not (_silent(a) and a % 2 == 0):
            admins.append((acc, f"e{a // PER_UNIT}"))
    yield from batched("account", ("id", "name", "platform", "content", "status",
                                   "last_update_at", "password_changed_at", "created_at",
                                   "unit_id", "platform_id", "platform_note", "organizer",
                                   "intro", "url", "vendor", "vendor_qualification"), rows)
    yield from batched("account_admin", ("account_id", "person_id"), admins)


def _relays(rnd: random.Random, units: int, offices: int) -> Iterator[Chunk]:
    tasks: list[Row] = []
    targets: list[Row] = []
    span = (datetime(2026, 12, 31, tzinfo=TZ) - YEAR_START).total_seconds()
    task_id = 0
    for office in range(offices):
        for _ in range(TASKS_PER_OFFICE):
            task_id += 1
            received = YEAR_START + timedelta(seconds=rnd.uniform(0, span))
            due = received + timedelta(hours=12)  # rule R-RLY-1
            tasks.append((task_id, "https://www.gov.cn/x.html", "通知", ts(received), ts(due),
                          f"s{office}", f"o{office}"))
            for unit in range(office, units, offices):
                luck = rnd.random()
                done = None if luck > 0.97 else received + timedelta(
                    hours=rnd.uniform(13, 30) if luck > 0.9 else rnd.uniform(0.5, 11.5))
                targets.append((ts(due), ts(done) if done else None, f"e{unit}" if done else None,
                                task_id, f"u{unit}"))
    yield "relay_task", ("id", "source_url", "title", "received_at", "due_at", "created_by_id",
                         "unit_id"), tasks
    yield from batched("relay_target", ("due_at", "done_at", "done_by", "task_id", "unit_id"),
                       targets)


def _followups(rnd: random.Random, units: int) -> Iterator[Chunk]:
    rows: list[Row] = []
    for unit in range(units):
        for n in range(3):
            due = YEAR_START + timedelta(days=rnd.uniform(10, 360))
            luck = rnd.random()
            done = None if luck > 0.9 else due + timedelta(days=rnd.uniform(-5, -0.5)
                                                            if luck < 0.8 else rnd.uniform(1, 9))
            rows.append(("announce", "R-ACC-2", f"filing:{unit}-{n}", "变更公示", ts(due),
                         ts(done) if done else None, f"e{unit}" if done else None,
                         ts(due - timedelta(days=20)), f"u{unit}"))
    yield from batched("deadline", ("kind", "rule", "subject", "title", "due_at", "done_at",
                                    "done_by", "created_at", "unit_id"), rows)


# --- measuring, each in a fresh process -------------------------------------------------

JOBS = ("inspection", "inspection_office", "register_office", "record")


async def _job(url: str, job: str) -> dict[str, object]:
    from bot.db import close_db, init_db
    from bot.policy import load_policy
    from handlers.reports import files, inspection, inspection_pdf, inspection_xlsx
    from handlers.reports.scope import quarter_of, scope_of

    await init_db(url, generate_schemas=False)
    policy = load_policy("default")
    out: dict[str, object] = {"job": job}
    try:
        started = time.perf_counter()
        if job.startswith("inspection"):
            unit = "o0" if job == "inspection_office" else None
            report = await inspection.load_inspection(await scope_of(unit),
                                                      quarter_of(QUARTER, TZ), policy, TZ, NOW)
            out["accounts"] = len(report.accounts)
            out["data_s"] = time.perf_counter() - started
            mark = time.perf_counter()
            out["xlsx_kb"] = len(inspection_xlsx.inspection_xlsx(report)) // 1024
            out["xlsx_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            out["pdf_kb"] = len(inspection_pdf.inspection_pdf(report)) // 1024
            out["pdf_s"] = time.perf_counter() - mark
        elif job == "register_office":
            quarter = quarter_of(QUARTER, TZ)
            result = await files.register_file(quarter.first_day, quarter.last_day, "o0",
                                               "xlsx", policy, TZ)
            out["xlsx_kb"] = len(result.data) // 1024
        else:
            result = await files.record_file(1, "pdf", policy, TZ)
            out["pdf_kb"] = len(result.data) // 1024
        out["total_s"] = time.perf_counter() - started
    finally:
        await close_db()
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def measure(url: str, job: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, "--child", url, "--job", job],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(db: str, url: str, accounts: int, per_account: int, path: Path | None) -> None:
    asyncio.run(create_schema(url))
    rows = dataset(accounts, per_account)
    if db == "sqlite":
        assert path is not None
        load_sqlite(path, rows)
    else:
        asyncio.run(load_postgres(url, rows))


def _pg_admin(server: str, *statements: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(f"{server}/postgres")
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--drafts-per-account", type=int, default=12)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--keep", help="keep the database: a SQLite file path, or (with "
                                       "--db postgres) a database name")
    parser.add_argument("--jobs", default=",".join(JOBS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_job(args.child, args.job))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        name = args.keep if args.db == "postgres" and args.keep else \
            f"govmedia_bench_reports_{date.today():%Y%m%d}"
        if args.db == "sqlite":
            path = Path(args.keep) if args.keep else Path(tmp) / "reports.db"
            path.unlink(missing_ok=True)
            url = f"sqlite://{path}"
        else:
            path = None
            _pg_admin(args.pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                      f"CREATE DATABASE {name}")
            url = f"{args.pg_server}/{name}"
        try:
            started = time.perf_counter()
            build(args.db, url, args.accounts, args.drafts_per_account, path)
            print(f"{args.db}: {args.accounts:,} accounts, about "
                  f"{args.accounts * args.drafts_per_account:,} drafts in 2026 "
                  f"(built in {time.perf_counter() - started:.0f} s)", flush=True)
            for job in args.jobs.split(","):
                print("  " + "  ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in measure(url, job).items()), flush=True)
        finally:
            if args.db == "postgres" and not args.keep:
                _pg_admin(args.pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
