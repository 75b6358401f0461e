"""Several real `govmedia serve` processes on one database (PostgreSQL or MariaDB/MySQL),
delivering the outbox to a fake WeCom server on loopback. Used by tests/test_replicas.py
and by bench/bench_outbox_replicas.py."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.db import close_db, init_db
from bot.events import OutgoingText
from bot.outbox import NORMAL, enqueue_many
from tests import databases
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, FakeWeCom

ROOT = Path(__file__).resolve().parent.parent
DB = f"{databases.TEST_DB}_replicas"
URLS = {"postgres": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "mysql": f"mysql://root:@127.0.0.1:3306/{DB}"}
SERVERS = tuple(URLS)
USERS = 1000  # WeCom paces each member; spread the load over many members


@dataclass
class Replica:
    proc: asyncio.subprocess.Process
    port: int

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def execute(backend: str, sql: str) -> int:
    """Run one statement on the replicas' database outside the processes; the first column
    of its first row if it returns one, else 0."""
    if backend == "postgres":
        import asyncpg

        conn = await asyncpg.connect(URLS[backend])
        try:
            return int(await conn.fetchval(sql) or 0)
        finally:
            await conn.close()
    import asyncmy

    conn = await asyncmy.connect(host="127.0.0.1", user="root", password="", db=DB,
                                 autocommit=True)
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql)
            row = await cur.fetchone()
            return int(row[0]) if row else 0
    finally:
        conn.close()


@dataclass
class Cluster:
    fake: FakeWeCom
    backend: str = "postgres"
    replicas: list[Replica] = field(default_factory=list)

    async def sent(self) -> int:
        return await execute(self.backend, "SELECT count(*) FROM outbox WHERE status='sent'")

    async def wait_sent(self, count: int, limit: float) -> float:
        """Poll the database (other processes do the work) until `count` rows are sent."""
        started = time.monotonic()
        while await self.sent() < count:
            if time.monotonic() - started > limit:
                raise AssertionError(f"only {await self.sent()} of {count} sent in {limit}s")
            await asyncio.sleep(0.1)
        return time.monotonic() - started

    def requests(self) -> Counter[str]:
        """message/send requests by text content, whether or not WeCom showed them."""
        return Counter(c.body["text"]["content"] for c in self.fake.to("/cgi-bin/message/send")
                       if c.body and c.body.get("msgtype") == "text")

    def shown(self) -> Counter[str]:
        return Counter(c.body["text"]["content"] for c in self.fake.to("/cgi-bin/message/send")
                       if c.ok and c.body and c.body.get("msgtype") == "text")


def text(i: int) -> str:
    return f"第 {i} 条提醒"


async def prepare(messages: int, backend: str = "postgres") -> None:
    """A fresh database with the schema and `messages` due outbox rows."""
    create = (f"CREATE DATABASE {DB} ENCODING 'UTF8'" if backend == "postgres" else
              f"CREATE DATABASE {DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    await databases._server_sql(backend, _drop_sql(backend), create)
    await init_db(URLS[backend])
    await enqueue_many((("wecom", f"u{i % USERS}", OutgoingText(text(i)))
                        for i in range(messages)), priority=NORMAL)
    await close_db()


async def drop(backend: str = "postgres") -> None:
    await databases._server_sql(backend, _drop_sql(backend))


def _drop_sql(backend: str) -> str:
    return f"DROP DATABASE IF EXISTS {DB}" + (" WITH (FORCE)" if backend == "postgres" else "")


def env(api_base: str, port: int, lease_seconds: float, backend: str = "postgres"
        ) -> dict[str, str]:
    return {
        **os.environ,
        "GOVMEDIA_DATABASE_URL": URLS[backend], "GOVMEDIA_PORT": str(port),
        "GOVMEDIA_SIM_ENABLED": "false", "GOVMEDIA_SEED_DEMO": "false",
        "GOVMEDIA_DB_GENERATE_SCHEMAS": "false", "GOVMEDIA_LOG_LEVEL": "WARNING",
        "GOVMEDIA_OUTBOX_POLL_SECONDS": "0.2",
        "GOVMEDIA_OUTBOX_LEASE_SECONDS": str(lease_seconds),
        "GOVMEDIA_WECOM_CORP_ID": CORP_ID, "GOVMEDIA_WECOM_AGENT_ID": str(AGENT_ID),
        "GOVMEDIA_WECOM_SECRET": SECRET, "GOVMEDIA_WECOM_TOKEN": TOKEN,
        "GOVMEDIA_WECOM_AES_KEY": AES_KEY, "GOVMEDIA_WECOM_API_BASE": api_base,
        "GOVMEDIA_AUDIT_KEY": "replica-audit-key-" + "0" * 14,
    }


async def start(api_base: str, port: int, lease_seconds: float, backend: str = "postgres"
                ) -> Replica:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=ROOT,
        env=env(api_base, port, lease_seconds, backend),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return Replica(proc, port)


@asynccontextmanager
async def cluster(fake: FakeWeCom, ports: list[int], lease_seconds: float,
                  backend: str = "postgres") -> AsyncIterator[Cluster]:
    running = Cluster(fake, backend)
    try:
        for port in ports:
            running.replicas.append(await start(fake.base, port, lease_seconds, backend))
        yield running
    finally:
        for replica in running.replicas:
            await replica.stop()
