"""kill -9 right after the acks loses nothing (issue 13, item 1): a real `govmedia serve`
(SQLite file, WeCom channel against the fake WeCom on loopback) acknowledges N callbacks,
some of them 投稿 drafts, and is killed with SIGKILL the moment the last 200 arrives. After
a restart every acknowledged callback has been handled exactly once: each draft exists
once, each sender was answered once."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from tests import databases
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, FakeWeCom, WeComSender
from tests.test_ops_shutdown import free_port

ROOT = Path(__file__).resolve().parent.parent
DRAFTS = 6
STRANGERS = 34
START_SECONDS = 30
SETTLE_SECONDS = 60

pytestmark = pytest.mark.skipif("sqlite" not in databases.backends(),
                                reason="the crash test runs on a SQLite file")


def environment(db: Path, api_base: str) -> dict[str, str]:
    return {
        **os.environ,
        "GOVMEDIA_DATABASE_URL": f"sqlite://{db}", "GOVMEDIA_HOST": "127.0.0.1",
        "GOVMEDIA_LOG_LEVEL": "WARNING", "GOVMEDIA_OUTBOX_POLL_SECONDS": "0.2",
        # the killed process's claims are taken over this soon after the restart
        "GOVMEDIA_INBOX_LEASE_SECONDS": "1", "GOVMEDIA_DRAFT_JOIN_SECONDS": "0",
        "GOVMEDIA_WECOM_CORP_ID": CORP_ID, "GOVMEDIA_WECOM_AGENT_ID": str(AGENT_ID),
        "GOVMEDIA_WECOM_SECRET": SECRET, "GOVMEDIA_WECOM_TOKEN": TOKEN,
        "GOVMEDIA_WECOM_AES_KEY": AES_KEY, "GOVMEDIA_WECOM_API_BASE": api_base,
        "GOVMEDIA_AUDIT_KEY": "inbox-crash-audit-key-" + "0" * 10,
    }


async def run_cli(env: dict[str, str], *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()


@asynccontextmanager
async def serving(env: dict[str, str], log: Path) -> AsyncIterator[tuple[
        asyncio.subprocess.Process, str]]:
    port = free_port()
    with open(log, "ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", str(port), cwd=ROOT, env=env,
            stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        await until(lambda: healthy(base), START_SECONDS, proc)
        yield proc, base
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def healthy(base: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, \
                session.get(base + "/healthz") as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False


async def until(check, limit: float,  # type: ignore[no-untyped-def]
                proc: asyncio.subprocess.Process | None = None) -> None:
    """Wait for a condition another process brings about, polling."""
    deadline = time.monotonic() + limit
    while not await check():
        assert proc is None or proc.returncode is None, "the server exited"
        assert time.monotonic() < deadline, f"condition not met in {limit} s"
        await asyncio.sleep(0.05)


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
async def fake(aiohttp_server) -> FakeWeCom:  # type: ignore[no-untyped-def]
    fake = FakeWeCom()
    server = await aiohttp_server(fake.app())
    fake.base = f"http://127.0.0.1:{server.port}"
    return fake


async def test_sigkill_after_the_acks_loses_nothing(fake: FakeWeCom, tmp_path: Path) -> None:
    db, log = tmp_path / "bot.db", tmp_path / "serve.log"
    env = environment(db, fake.base)
    await run_cli(env, "db", "upgrade")
    await run_cli(env, "org", "load", str(ROOT / "bot" / "data" / "demo_org.toml"))
    sender = WeComSender(None)  # type: ignore[arg-type]
    drafts = [sender.text_xml("wangwu", f"投稿 黔江文旅\n崩溃测试稿件{i}\n正文{i}。")
              for i in range(DRAFTS)]
    strangers = [sender.text_xml(f"stranger{i}", "帮助") for i in range(STRANGERS)]
    callbacks = [sender.envelope(xml) for xml in drafts + strangers]

    async with serving(env, log) as (proc, base):
        async with aiohttp.ClientSession() as session:
            async def post(query: dict[str, str], body: str) -> int:
                async with session.post(base + "/wecom/callback", params=query,
                                        data=body) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(post(q, b) for q, b in callbacks))
        proc.send_signal(signal.SIGKILL)  # the moment every 200 is in
        await proc.wait()
    assert statuses == [200] * len(callbacks)
    stored = query(db, "SELECT status, count(*) FROM inbound_event GROUP BY status")
    counts = dict(stored)
    assert sum(counts.values()) == len(callbacks)  # every acknowledged callback is on disk
    assert counts.get("pending", 0) > 0, f"the kill came too late to test anything: {stored}"

    async with serving(env, log):
        async def settled() -> bool:
            pending = query(db, "SELECT count(*) FROM inbound_event WHERE status != 'done'")
            unsent = query(db, "SELECT count(*) FROM outbox WHERE status != 'sent'")
            return pending[0][0] == 0 and unsent[0][0] == 0
        await until(settled, SETTLE_SECONDS)

    titles = Counter(t for (t,) in query(db, "SELECT title FROM draft"))
    assert titles == Counter(f"崩溃测试稿件{i}" for i in range(DRAFTS))
    for i in range(STRANGERS):
        assert len(fake.texts(f"stranger{i}")) == 1, f"stranger{i}"
    counts_unknown = dict(query(db, "SELECT user_id, count FROM unknown_sender"))
    assert counts_unknown == {f"stranger{i}": 1 for i in range(STRANGERS)}
    # each draft answered its author once (a reply the killed sender may have sent without
    # recording it is sent again; WeCom's duplicate check hides the repeat)
    confirmations = [t for t in fake.texts("wangwu") if "崩溃测试稿件" in t]
    assert len(confirmations) == len(set(confirmations)) == DRAFTS, confirmations
