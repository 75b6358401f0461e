"""Outbox delivery throughput on PostgreSQL with one and with two `govmedia serve`
replicas, delivering to a fake WeCom server on loopback.

    .venv/bin/python bench/bench_outbox_replicas.py [--messages 5000]

Each run starts from a fresh database holding N due text messages (spread over 1,000
members so WeCom's per-member pacing is not the limit), starts the replicas, and times
until every row is sent; then checks each message reached the fake exactly once, and
reads from each replica's /metrics how many database statements its outbox sender ran
per delivered message.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import replicas  # noqa: E402
from tests.fakes.wecom import FakeWeCom  # noqa: E402
from tests.test_ops_shutdown import free_port  # noqa: E402


async def statements(ports: list[int]) -> tuple[float, float]:
    """Outbox statements run and messages delivered, summed over the replicas."""
    queries = delivered = 0.0
    async with aiohttp.ClientSession() as session:
        for port in ports:
            async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                body = await resp.text()
            queries += sum(float(m[1]) for m in re.finditer(
                r"^govmedia_outbox_queries_total (\S+)$", body, re.M))
            delivered += sum(float(m[1]) for m in re.finditer(
                r"^govmedia_outbox_delivery_seconds_count\{[^}]*\} (\S+)$", body, re.M))
    return queries, delivered


async def run(messages: int, count: int) -> tuple[float, float]:
    fake = FakeWeCom()
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", free_port())
    await site.start()
    fake.base = f"http://127.0.0.1:{site._port}"  # noqa: SLF001
    await replicas.prepare(messages)
    try:
        ports = [free_port() for _ in range(count)]
        async with replicas.cluster(fake, ports, lease_seconds=60) as running:
            # start-up is not delivery: count from the first sent row
            await running.wait_sent(1, 60)
            elapsed = await running.wait_sent(messages, 600)
            queries, delivered = await statements(ports)
        shown = running.shown()
        assert len(shown) == messages and max(shown.values()) == 1, "a message went twice"
        return messages / elapsed, queries / max(delivered, 1)
    finally:
        await replicas.drop()
        await runner.cleanup()


async def main(messages: int) -> None:
    for count in (1, 2):
        rate, per_message = await run(messages, count)
        print(f"{count} replica(s): {messages} messages delivered at {rate:.0f} msg/s "
              f"(each exactly once), {per_message:.2f} outbox statements per message")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    asyncio.run(main(parser.parse_args().messages))
