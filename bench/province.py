"""A province in a box (issue 19): a province's organisation on PostgreSQL, N replicas of
`govmedia serve` behind a round-robin "load balancer" (the bench posts to each in turn),
a fake WeCom on loopback, and a compressed day replayed through signed callbacks.

    .venv/bin/python bench/province.py                      # small: ~2 minutes
    .venv/bin/python bench/province.py --replicas 1,2,3
    .venv/bin/python bench/province.py --full               # 3,000 units / 30,000 accounts
                                                            # / 100,000 people

Per replica count it prints: callback ack p50/p99 (HTTP 200 for a signed callback),
decision → next card (a 二审 tap until the 三审 card reaches the fake WeCom), delivery
throughput of the relay burst (`转载` from the provincial office to every unit's editors)
and of the reminder scan's output, the scan's own time, and the outbox's database
statements per delivered message (from each replica's /metrics).

The day: D drafts submitted by editors across the province at a steady rate, each taken
through 二审 and 三审 by taps as soon as its card arrives; half-way, the relay burst; then
the morning reminder scan (one scan over every account, in this process) while the
replicas deliver what it queued.

The replicas run without their own scheduler: the province is dated to SCAN_AT, and a
replica's scan on the wall clock (every minute, the first a minute after it starts) would
find it a year later and claim the same reminders first (one claim per reminder key, so
nothing goes twice, but the bench's scan would then queue only what was left: 6,001 of
12,001 messages in the full province whenever the day lasted longer than a minute). The
report counts the reminder-log rows of every scan, so another claimer would show.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.db import close_db, init_db  # noqa: E402
from bot.events import button_key  # noqa: E402
from bot.policy import load_policy  # noqa: E402
from handlers.reminders.scan import scan  # noqa: E402
from models.org import Account, Person, Unit  # noqa: E402
from tests import databases, replicas  # noqa: E402
from tests.fakes import wecom as fake_wecom  # noqa: E402
from tests.fakes.wecom import FakeWeCom, WeComSender  # noqa: E402
from tests.test_ops_shutdown import free_port  # noqa: E402

DB = f"{databases.TEST_DB}_province"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
PROVINCE = "prov"
# the morning the scan runs: a Tuesday on the official calendar, 09:30 in Beijing
SCAN_AT = datetime(2025, 12, 2, 1, 30, tzinfo=UTC)


@dataclass
class TimedCall(fake_wecom.Call):
    at: float = field(default_factory=time.monotonic)


fake_wecom.Call = TimedCall  # type: ignore[misc]  # the fake notes when each call came


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1]


# --- the province -------------------------------------------------------------------

@dataclass
class Province:
    units: list[str]
    editors: dict[str, list[str]]  # unit -> editor ids
    accounts: dict[str, list[str]]  # unit -> account names
    supervisor: str = "prov-sup"


async def build(units: int, accounts: int, people: int) -> Province:
    """A fresh database: the provincial office, `units` host units below it (in 10s of
    prefecture offices), their people (chief, approver, 2 reviewers, editors, the rest
    plain staff) and accounts; a fifth of the accounts have not posted for three weeks."""
    await databases._server_sql("postgres", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)",
                                f"CREATE DATABASE {DB} ENCODING 'UTF8'")
    await init_db(URL)
    day = date(2025, 1, 6)
    now = SCAN_AT
    groups = max(1, units // 10)
    unit_rows = [Unit(id=PROVINCE, name="省人民政府办公厅")]
    unit_rows += [Unit(id=f"pref{g}", name=f"第{g}市政府办公室", parent_id=PROVINCE)
                  for g in range(groups)]
    host = [f"u{i}" for i in range(units)]
    unit_rows += [Unit(id=u, name=f"第{i}单位", parent_id=f"pref{i % groups}")
                  for i, u in enumerate(host)]
    await Unit.bulk_create(unit_rows, batch_size=1000)
    per_unit = max(6, people // units)
    editors: dict[str, list[str]] = {}
    person_rows = [Person(id="prov-sup", name="省督办", unit_id=PROVINCE, roles=["supervisor"],
                          vetted_on=day, trained_on=day)]
    for u in host:
        roles = [["chief"], ["approver"], ["reviewer"], ["reviewer"]] \
            + [["editor"]] * min(5, per_unit - 4) + [[]] * max(0, per_unit - 9)
        for k, r in enumerate(roles):
            person_rows.append(Person(id=f"{u}-p{k}", name=f"{u}人员{k}", unit_id=u, roles=r,
                                      vetted_on=day, trained_on=day))
            if r == ["editor"]:
                editors.setdefault(u, []).append(f"{u}-p{k}")
    await Person.bulk_create(person_rows, batch_size=2000)
    per_unit_acc = max(1, accounts // units)
    names: dict[str, list[str]] = {}
    account_rows, admins = [], []
    for u in host:
        for k in range(per_unit_acc):
            aid = len(account_rows) + 1
            name = f"{u}号{k}"
            stale = aid % 5 == 0
            account_rows.append(Account(
                id=aid, name=name, platform="wechat_subscription", unit_id=u,
                last_update_at=now - timedelta(days=21 if stale else 1),
                password_changed_at=now - timedelta(days=10)))
            admins.append((aid, editors[u][k % len(editors[u])]))
            names.setdefault(u, []).append(name)
    await Account.bulk_create(account_rows, batch_size=2000)
    await close_db()
    conn = await asyncpg.connect(URL)
    try:
        await conn.executemany("INSERT INTO account_admin (account_id, person_id) VALUES ($1, $2)",
                               admins)
        await conn.execute("SELECT setval(pg_get_serial_sequence('account', 'id'), "
                           "(SELECT max(id) FROM account))")
    finally:
        await conn.close()
    return Province(host, editors, names)


# --- the replicas and the callbacks ---------------------------------------------------

class Poster:
    """Posts signed callbacks round-robin to the replicas; times each ack."""

    def __init__(self, session: aiohttp.ClientSession, ports: list[int]) -> None:
        self.session = session
        self.ports = ports
        self.turn = 0
        self.acks: list[float] = []
        self.sender = WeComSender(self)  # type: ignore[arg-type]

    def post(self, path: str, params: dict[str, str], data: str) -> Any:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        return self.session.post(f"http://127.0.0.1:{port}{path}", params=params, data=data)

    async def send(self, xml: str) -> None:
        start = time.perf_counter()
        async with await self.sender.post(xml) as resp:
            await resp.read()
            assert resp.status == 200, resp.status
        self.acks.append(time.perf_counter() - start)

    async def text(self, user: str, text: str) -> None:
        await self.send(self.sender.text_xml(user, text))

    async def tap(self, user: str, task_id: str, key: str, code: str) -> None:
        await self.send(self.sender.click_xml(user, task_id, key, code))


def cards(fake: FakeWeCom, since: int = 0) -> list[TimedCall]:
    return [c for c in fake.calls[since:]  # type: ignore[misc]
            if c.path == "/cgi-bin/message/send" and c.ok and c.body
            and c.body.get("msgtype") == "template_card"]


def texts(fake: FakeWeCom) -> list[TimedCall]:
    return [c for c in fake.calls  # type: ignore[misc]
            if c.path == "/cgi-bin/message/send" and c.ok and c.body
            and c.body.get("msgtype") in ("text", "markdown")]


async def pending(conn: asyncpg.Connection) -> int:
    """Work not yet done: undelivered messages, and events not yet handled (the relay's
    handler queues its notices only when it commits)."""
    return int(await conn.fetchval(
        "SELECT (SELECT count(*) FROM outbox WHERE status='pending') "
        "+ (SELECT count(*) FROM inbound_event WHERE status='pending')"))


async def wait_drained(conn: asyncpg.Connection, limit: float) -> float:
    started = time.monotonic()
    while await pending(conn):
        if time.monotonic() - started > limit:
            raise AssertionError(f"outbox not drained in {limit}s")
        await asyncio.sleep(0.05)
    return time.monotonic()


async def metric(session: aiohttp.ClientSession, port: int, name: str) -> float:
    async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
        body = await resp.text()
    return sum(float(m[1]) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", body, re.M))


async def healthy(session: aiohttp.ClientSession, port: int, limit: float = 60) -> None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                if resp.status in (200, 503):
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"replica on {port} did not start")


async def start(api_base: str, port: int) -> replicas.Replica:
    # no scheduler: the one scan of the day is the bench's own, at SCAN_AT (module docstring);
    # no join window: each draft comes whole in one message, so it goes to review at once and
    # half the drafts are decided before the relay (with the 10 s window, none were)
    env = {**replicas.env(api_base, port, 60), "GOVMEDIA_DATABASE_URL": URL,
           "GOVMEDIA_SCHEDULER_ENABLED": "false", "GOVMEDIA_DRAFT_JOIN_SECONDS": "0"}
    log = open(f"/tmp/province-replica-{port}.log", "wb")  # noqa: SIM115
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=replicas.ROOT, env=env,
        stdout=log, stderr=log)
    return replicas.Replica(proc, port)


# --- the day --------------------------------------------------------------------------

async def day(province: Province, count: int, drafts: int, rate: float) -> dict[str, Any]:
    fake = FakeWeCom()
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", free_port())
    await site.start()
    fake.base = f"http://127.0.0.1:{site._port}"  # noqa: SLF001
    conn = await asyncpg.connect(URL)
    await conn.execute("TRUNCATE outbox, inbound_event, reminder_log")
    ports = [free_port() for _ in range(count)]
    running = [await start(fake.base, port) for port in ports]
    result: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession() as session:
            for port in ports:
                await healthy(session, port)
            poster = Poster(session, ports)
            rng = random.Random(count)
            latencies: list[float] = []
            seen_tasks: set[str] = set()

            async def reviewer_loop(stop: asyncio.Event) -> None:
                """Tap 通过 on every review card as soon as it arrives."""
                done = 0
                while not stop.is_set() or done < len(fake.calls):
                    new = cards(fake, done)
                    done = len(fake.calls)
                    for call in new:
                        card = call.body["template_card"]  # type: ignore[index]
                        task_id = card["task_id"]
                        if task_id in seen_tasks:
                            continue
                        seen_tasks.add(task_id)
                        keys = [b["key"] for b in card.get("button_list", [])
                                if b["key"].startswith("approve:")]
                        if not keys:
                            continue
                        _, draft, level, version = keys[0].split(":")
                        code = fake.issue_code(task_id)
                        start = time.monotonic()
                        await poster.tap(call.body["touser"],  # type: ignore[index]
                                         task_id, button_key("approve", draft, level, version),
                                         code)
                        if level == "2":
                            tapped[int(draft)] = start
                    if stop.is_set() and not new:
                        return
                    await asyncio.sleep(0.005)

            tapped: dict[int, float] = {}
            stop = asyncio.Event()
            taps = asyncio.create_task(reviewer_loop(stop))
            units = province.units
            approved_before = int(await conn.fetchval(
                "SELECT count(*) FROM draft WHERE state='approved'"))
            drafts_total = approved_before + drafts
            started = time.monotonic()
            relay_at = drafts // 2
            relay: dict[str, float] = {}
            for i in range(drafts):
                if i == relay_at:
                    before = len(texts(fake))
                    relay["start"] = time.monotonic()
                    await poster.text(province.supervisor,
                                      f"转载 https://www.gov.cn/yaowen/bench{count}.html 省政府要闻")
                    relay["before"] = before
                unit = units[rng.randrange(len(units))]
                editor = province.editors[unit][0]
                account = province.accounts[unit][0]
                await poster.text(editor, f"投稿 {account}\n基准稿件 {i}\n正文 {i}：全省秋季旅游节。")
                await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
            # every draft through 三审
            limit = time.monotonic() + 300
            while int(await conn.fetchval("SELECT count(*) FROM draft WHERE state='approved'")) \
                    < drafts_total and time.monotonic() < limit:
                await asyncio.sleep(0.1)
            approved = int(await conn.fetchval(
                "SELECT count(*) FROM draft WHERE state='approved'")) - approved_before
            relay_end = await wait_drained(conn, 300)
            stop.set()
            await taps
            # decision → card: the 二审 tap until the 三审 card for the draft reached WeCom
            third = {}
            for call in cards(fake):
                for b in call.body["template_card"].get("button_list", []):  # type: ignore
                    if b["key"].startswith("approve:") and b["key"].split(":")[2] == "3":
                        third.setdefault(int(b["key"].split(":")[1]), call.at)
            latencies = [third[d] - t for d, t in tapped.items() if d in third]
            quiet = [third[d] - t for d, t in tapped.items()
                     if d in third and third[d] < relay["start"]]
            notices = [c for c in texts(fake)[relay["before"]:]
                       if f"bench{count}.html" in str(c.body)]
            relay_secs = (max(c.at for c in notices) - relay["start"]) if notices else 0.0
            result.update(
                acks=list(poster.acks), approved=approved, decisions=latencies, quiet=quiet,
                relay_notices=len(notices), relay_seconds=relay_secs,
                day_seconds=relay_end - started)
            # the morning reminder scan, while the replicas deliver its output
            sent_before = int(await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE status='sent'"))
            await init_db(URL)
            settings = Settings(database_url=URL, channel="wecom")
            policy = load_policy("default")
            t0 = time.monotonic()
            report = await scan(SCAN_AT, settings, policy)
            scan_secs = time.monotonic() - t0
            await close_db()
            scan_end = await wait_drained(conn, 600)
            scan_sent = int(await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE status='sent'")) - sent_before
            result.update(scan_seconds=scan_secs, scan_queued=report.messages,
                          scan_claimed=report.claimed, scan_delivered=scan_sent,
                          scan_delivery_seconds=scan_end - t0)
            # every scan that claimed reminders during the run: only the bench's own, at SCAN_AT
            result["scans"] = [(r["at"], int(r["count"])) for r in await conn.fetch(
                "SELECT at, count(*) AS count FROM reminder_log GROUP BY scan, at ORDER BY at")]
            queries = sum([await metric(session, p, "govmedia_outbox_queries_total")
                           for p in ports])
            delivered = sum([await metric(session, p,
                                          "govmedia_outbox_delivery_seconds_count")
                             for p in ports])
            result.update(queries=queries, delivered=delivered)
            dup = await conn.fetchval("SELECT count(*) FROM outbox WHERE status<>'sent'")
            result["not_sent"] = int(dup)
    finally:
        for replica in running:
            await replica.stop()
        await conn.close()
        await runner.cleanup()
    return result


def report(count: int, r: dict[str, Any]) -> None:
    acks = [a * 1000 for a in r["acks"]]
    dec = [d * 1000 for d in r["decisions"]]
    quiet = r["quiet"]
    print(f"--- {count} replica(s)")
    print(f"  callback ack: p50 {pct(acks, 50):.1f} ms, p99 {pct(acks, 99):.1f} ms "
          f"({len(acks)} callbacks)")
    print(f"  decision → next card at WeCom: p50 {pct(dec, 50):.0f} ms, p95 {pct(dec, 95):.0f} ms "
          f"({len(dec)} decisions; {r['approved']} drafts approved); before the relay "
          f"burst p50 {pct(quiet, 50) * 1000:.0f} ms ({len(quiet)})")
    print(f"  relay burst: {r['relay_notices']} notices in {r['relay_seconds']:.1f} s "
          f"= {r['relay_notices'] / max(r['relay_seconds'], 1e-9):.0f} msg/s "
          f"(with the review traffic)")
    print(f"  reminder scan at {SCAN_AT:%Y-%m-%d %H:%M} UTC: {r['scan_seconds']:.2f} s, "
          f"claimed {r['scan_claimed']} reminder-log rows, queued {r['scan_queued']} messages; "
          f"{r['scan_delivered']} delivered {r['scan_delivery_seconds']:.1f} s after it began "
          f"= {r['scan_delivered'] / max(r['scan_delivery_seconds'], 1e-9):.0f} msg/s")
    others = [(at, n) for at, n in r["scans"] if at != SCAN_AT]
    if others:
        print("  reminder-log rows claimed by other scans: " + ", ".join(
            f"{n} at {at:%Y-%m-%d %H:%M:%S} UTC" for at, n in others))
    print(f"  outbox statements per delivered message: "
          f"{r['queries'] / max(r['delivered'], 1):.2f} ({r['delivered']:.0f} delivered); "
          f"left unsent: {r['not_sent']}")


async def main(args: argparse.Namespace) -> None:
    if args.full:
        args.units, args.accounts, args.people = 3000, 30000, 100000
    t0 = time.monotonic()
    province = await build(args.units, args.accounts, args.people)
    print(f"province: {args.units} units, {args.accounts} accounts, {args.people} people "
          f"built in {time.monotonic() - t0:.1f} s; {args.drafts} drafts at {args.rate}/s")
    try:
        for count in args.replicas:
            report(count, await day(province, count, args.drafts, args.rate))
    finally:
        if not args.keep:
            await databases._server_sql("postgres", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--drafts", type=int, default=60)
    parser.add_argument("--rate", type=float, default=5.0, help="drafts per second")
    parser.add_argument("--replicas", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 2])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    asyncio.run(main(parser.parse_args()))
