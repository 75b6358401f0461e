"""Ack throughput and latency of /wecom/callback with the durable inbox (issue 13).

Each request is a real encrypted text callback (`投稿 …`, each one a new draft) that the
bot answers only once the event is committed to the inbox table (SQLite file, WAL, the
default synchronous=FULL); the pump makes the drafts meanwhile, in the same process. The
same load, in the same run, goes to a bare aiohttp endpoint that verifies, decrypts and
parses with wechatpy and answers 200. Run: .venv/bin/python bench/bench_inbox.py
Target: at least half the bare endpoint's throughput, p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import create_app  # noqa: E402
from bot.keys import tasks_key  # noqa: E402
from models.review import Draft  # noqa: E402
from models.system import InboundEvent  # noqa: E402
from tests.fakes.wecom import AES_KEY, CORP_ID, TOKEN, FakeWeCom, WeComSender  # noqa: E402
from tests.wecom_office import wecom_settings  # noqa: E402


def bare_app() -> web.Application:
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)

    async def callback(request: web.Request) -> web.Response:
        q = request.query
        xml = crypto.decrypt_message(await request.text(), q["msg_signature"], q["timestamp"],
                                     q["nonce"])
        parse_message(xml)
        return web.Response(status=200, body=b"")

    app = web.Application()
    app.router.add_post("/wecom/callback", callback)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def load(base: str, requests: list[tuple[dict[str, str], str]],
               concurrency: int) -> tuple[float, list[float]]:
    """Send every request with `concurrency` in flight; return wall seconds and latencies."""
    latencies: list[float] = []
    queue = list(reversed(requests))
    async with aiohttp.ClientSession() as session:
        async def worker() -> None:
            while queue:
                query, body = queue.pop()
                start = time.perf_counter()
                async with session.post(base + "/wecom/callback", params=query,
                                        data=body) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, latencies


def report(name: str, wall: float, latencies: list[float]) -> float:
    q = statistics.quantiles(latencies, n=100)
    rps = len(latencies) / wall
    print(f"{name:<26} {rps:8.0f} req/s   p50 {q[49] * 1000:6.2f} ms   "
          f"p99 {q[98] * 1000:6.2f} ms   ({len(latencies)} requests)")
    return rps


def payloads(sender: WeComSender, n: int) -> list[tuple[dict[str, str], str]]:
    return [sender.envelope(sender.text_xml("wangwu", f"投稿 黔江文旅\n压测稿件{i}\n正文{i}。"))
            for i in range(n)]


async def main(n: int, concurrency: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    fake = FakeWeCom()
    fake_runner, fake.base = await serve(fake.app())
    with tempfile.TemporaryDirectory() as tmp:
        settings = wecom_settings(fake.base)
        from dataclasses import replace
        settings = replace(settings, database_url=f"sqlite://{tmp}/bench.db",
                           outbox_poll_seconds=1.0)
        app = create_app(settings)
        runner, base = await serve(app)
        sender = WeComSender(None)  # type: ignore[arg-type]
        bare_runner, bare_base = await serve(bare_app())
        try:
            await load(bare_base, payloads(sender, 50), concurrency)  # warm up
            bare_wall, bare_lat = await load(bare_base, payloads(sender, n), concurrency)
            ours_wall, ours_lat = await load(base, payloads(sender, n), concurrency)
            stored = await InboundEvent.all().count()
            handled = await InboundEvent.filter(status="done").count()
            start = time.perf_counter()
            await app[tasks_key].drain()
            drain = time.perf_counter() - start
            drafts = await Draft.all().count()
        finally:
            await runner.cleanup()
            await bare_runner.cleanup()
            await fake_runner.cleanup()
    print(f"loopback load: {n} encrypted text callbacks, {concurrency} in flight")
    bare = report("bare wechatpy endpoint", bare_wall, bare_lat)
    ours = report("/wecom/callback", ours_wall, ours_lat)
    print(f"ratio (ours / bare)        {ours / bare:8.2f}")
    print(f"when the last ack arrived: {stored} of {n} events on disk, {handled} handled "
          "(the pump waits while callbacks arrive)")
    print(f"drafts created: {drafts}; background work finished {drain * 1000:.0f} ms after "
          f"the last ack (end to end {n / (ours_wall + drain):.0f} drafts/s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.concurrency))
