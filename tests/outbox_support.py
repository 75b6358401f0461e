"""Waiting for an app's outbox to settle, for tests that drive a whole app (simulator, WeCom,
DingTalk): one helper instead of a copy per channel."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from bot.clock import utcnow
from bot.events import CardUpdate, Outgoing
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
