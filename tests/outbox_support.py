"""Waiting for an app's outbox to settle, for tests that drive a whole app (simulator, WeCom,
DingTalk): one helper instead of a copy per channel."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from aiohttp import web

from bot import outbox
from bot.clock import utcnow
from bot.events import CardUpdate, Outgoing, OutgoingText
from bot.keys import sender_key, tasks_key
from models.system import Outbox

# a bound, not a pause: the wait ends as soon as the outbox is settled; a loaded machine
# may need seconds where a quiet one needs milliseconds
SETTLE_SECONDS = 30.0


async def settle(app: web.Application) -> None:
    """Finish background work and deliver everything due. The app's own sender loop may hold
    a row while we look, so wait (for the condition) until it has let go."""
    await app[tasks_key].drain()
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        sent = await app[sender_key].flush()
        held = await Outbox.filter(status="pending", locked_until__gt=utcnow()).exists()
        if not sent and not held:
            return
        assert time.monotonic() < deadline, f"outbox did not settle in {SETTLE_SECONDS} s"
        await asyncio.sleep(0.002)


class Recording:
    """A platform that records what it was sent."""

    name = "fake"

    def __init__(self) -> None:
        self.delivered: list[int] = []

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        self.delivered.append(outbox_id)

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        self.delivered.append(outbox_id)


async def six_sim_rows_and_one_not_due(now: datetime) -> Outbox:
    """Six due rows to the simulator (delivered inside a claim) and one WeCom row that falls
    due 30 s after `now`, which is returned: the MySQL lock tests' queue."""
    for i in range(6):
        await outbox.enqueue("sim", f"s{i}", OutgoingText("模拟器"))
    later = await outbox.enqueue("fake", "w1", OutgoingText("企业微信"))
    await Outbox.filter(id=later.id).update(next_attempt_at=now + timedelta(seconds=30))
    return later
