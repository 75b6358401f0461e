"""Outbox delivery throughput on PostgreSQL (or MariaDB/MySQL) with one and with two
`govmedia serve` replicas, delivering to a fake WeCom server on loopback.

    .venv/bin/python bench/bench_outbox_replicas.py [--messages 5000] [--latency-ms 40]
        [--replicas 1,2] [--backend postgres|mysql]

Each run starts from a fresh database holding N due text messages (spread over 1,000
members so WeCom's per-member pacing is not the limit), starts the replicas, and times
until every row is sent; then checks each message reached the fake exactly once, and
reads from each replica's /metrics how many database statements its outbox sender ran
per delivered message.

`--latency-ms` makes the fake answer each send after that long, as WeCom's API does (tens
of milliseconds from a government network): delivery is then bound by waiting on the
platform, as in production, not by the CPU the fake and the replicas share on loopback.
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


async def _due(backend: str, later: bool) -> None:
    if backend == "postgres":
        when = "now() + interval '1 day'" if later else "now()"
    else:  # Tortoise stores UTC in DATETIME columns
        when = "UTC_TIMESTAMP(6) + INTERVAL 1 DAY" if later else "UTC_TIMESTAMP(6)"
    await replicas.execute(backend, f"UPDATE outbox SET next_attempt_at = {when}")


async def _up(ports: list[int]) -> None:
    """Wait until every replica answers /healthz (however it answers)."""
    async with aiohttp.ClientSession() as session:
        for port in ports:
            for _ in range(600):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"replica on port {port} did not start")


async def run(messages: int, count: int, latency: float, backend: str
              ) -> tuple[float, float]:
    fake = FakeWeCom(latency=latency)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", free_port())
    await site.start()
    fake.base = f"http://127.0.0.1:{site._port}"  # noqa: SLF001
    await replicas.prepare(messages, backend)
    try:
        # start-up is not delivery: the rows fall due once every replica answers, so a
        # replica that starts later does not make a shorter run look slower
        await _due(backend, later=True)
        ports = [free_port() for _ in range(count)]
        async with replicas.cluster(fake, ports, 60, backend) as running:
            await _up(ports)
            await _due(backend, later=False)
            elapsed = await running.wait_sent(messages, 600)
            queries, delivered = await statements(ports)
        shown = running.shown()
        assert len(shown) == messages and max(shown.values()) == 1, "a message went twice"
        return messages / elapsed, queries / max(delivered, 1)
    finally:
        await replicas.drop(backend)
        await runner.cleanup()


async def main(messages: int, latency_ms: float, counts: list[int], backend: str) -> None:
    print(f"{backend}; fake WeCom answers each send after {latency_ms:g} ms")
    rates: dict[int, float] = {}
    for count in counts:
        rates[count], per_message = await run(messages, count, latency_ms / 1000, backend)
        print(f"{count} replica(s): {messages} messages delivered at {rates[count]:.0f} msg/s "
              f"(each exactly once), {per_message:.2f} outbox statements per message")
    if 1 in rates:
        for count, rate in rates.items():
            if count > 1:
                print(f"{count} replicas / 1 replica: {rate / rates[1]:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="how long the fake WeCom takes to answer each send")
    parser.add_argument("--replicas", default="1,2", help="replica counts to run, in order")
    parser.add_argument("--backend", default="postgres", choices=replicas.SERVERS)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.latency_ms,
                     [int(n) for n in args.replicas.split(",")], args.backend))
