"""Outbox delivery throughput on PostgreSQL with one and with two `govmedia serve`
replicas, delivering to a fake WeCom server on loopback.

    .venv/bin/python bench/bench_outbox_replicas.py [--messages 5000]

Each run starts from a fresh database holding N due text messages (spread over 1,000
members so WeCom's per-member pacing is not the limit), starts the replicas, and times
until every row is sent; then checks each message reached the fake exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import replicas  # noqa: E402
from tests.fakes.wecom import FakeWeCom  # noqa: E402
from tests.test_ops_shutdown import free_port  # noqa: E402


async def run(messages: int, count: int) -> float:
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
        shown = running.shown()
        assert len(shown) == messages and max(shown.values()) == 1, "a message went twice"
        return messages / elapsed
    finally:
        await replicas.drop()
        await runner.cleanup()


async def main(messages: int) -> None:
    for count in (1, 2):
        rate = await run(messages, count)
        print(f"{count} replica(s): {messages} messages delivered at {rate:.0f} msg/s "
              f"(each exactly once)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    asyncio.run(main(parser.parse_args().messages))
