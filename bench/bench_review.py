"""Review-flow throughput on SQLite, through the dispatcher and the simulator channel.

Prints: drafts taken through all three levels per second (submit → 二审 tap → 三审 tap,
outbox delivered after each step), p50/p95 of the time from a decision entering the
dispatcher to the next level's card sitting in the outbox, and the process's CPU time per
draft (all of it: submit, both decisions, delivery).

    .venv/bin/python bench/bench_review.py [--drafts N] [--db URL]

Without --db it runs on a new SQLite file. A --db database is left with the demo office and
the drafts in it, so it must hold no drafts when the run starts (the counts and the draft
lookups assume so): give it a new database each time, e.g. on PostgreSQL
`createdb -h 127.0.0.1 -U postgres bench_review` before and `dropdb …` after.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import demo  # noqa: E402
from bot.channels.sim import inbound as sim  # noqa: E402
from bot.channels.sim.adapter import SimChannel  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import close_db, init_db  # noqa: E402
from bot.dispatcher import Dispatcher  # noqa: E402
from bot.events import button_key  # noqa: E402
from bot.outbox import Sender  # noqa: E402
from bot.policy import load_policy  # noqa: E402
from handlers import ROUTERS  # noqa: E402
from models.review import Draft  # noqa: E402
from models.system import Outbox  # noqa: E402


async def run(drafts: int, url: str) -> None:
    await init_db(url)
    await demo.seed_if_empty()
    if await Draft.exists():
        await close_db()
        raise SystemExit("bench_review: the database holds drafts already; give it a new one")
    settings = Settings(database_url=url)
    dispatcher = Dispatcher(settings, load_policy("default"))
    dispatcher.include_routers(*ROUTERS)
    sender = Sender({"sim": SimChannel()}, max_attempts=3, poll_seconds=1)
    latencies: list[float] = []

    async def decide(user: str, draft_id: int, level: int) -> None:
        start = time.perf_counter()
        await dispatcher.feed(sim.tap_event(user, button_key("approve", draft_id, level, 1)))
        latencies.append(time.perf_counter() - start)  # next card is in the outbox now
        await sender.flush()

    start, cpu = time.perf_counter(), time.process_time()
    for i in range(drafts):
        text = f"投稿 黔江文旅\n基准稿件 {i}\n正文 {i}：黔江秋季旅游节。"
        await dispatcher.feed(sim.text_event("wangwu", text))
        await sender.flush()
        draft_id = await Draft.filter(title=f"基准稿件 {i}").first().values_list("id", flat=True)
        await decide("zhangming", draft_id, 2)
        await decide("liufang", draft_id, 3)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    approved = await Draft.filter(state="approved").count()
    assert approved == drafts, (approved, drafts)
    assert await Outbox.filter(status="pending").count() == 0
    q = statistics.quantiles(latencies, n=100)
    print(f"drafts through three levels: {drafts} in {elapsed:.2f} s "
          f"= {drafts / elapsed:.1f} drafts/s")
    print(f"decision → next card in outbox: p50 {q[49] * 1000:.2f} ms, "
          f"p95 {q[94] * 1000:.2f} ms ({len(latencies)} decisions)")
    # CPU the process spent (all threads), which a loaded machine inflates far less than
    # the wall clock figures above
    print(f"CPU per draft through three levels: {cpu / drafts * 1000:.1f} ms")
    await close_db()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=300)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite://{tmp}/bench.db"
        asyncio.run(run(args.drafts, url))


if __name__ == "__main__":
    main()
