"""Closes join windows: a draft version whose author stopped sending goes to review.

The state is the draft_compose table (handlers/review/intake.py); this loop only looks
for windows that have passed and feeds one `compose_close` event for each through the
dispatcher, as the author. The event id makes it at most once, across replicas too; a
window missed while the bot was down is closed on the next pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.clock import utcnow
from bot.events import EventKind, IncomingEvent, UserRef, button_key
from handlers.review.intake import CLOSE, due_composes
from models.intake import Compose

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
Feed = Callable[[IncomingEvent], Awaitable[bool]]


def close_event(compose: Compose) -> IncomingEvent:
    return IncomingEvent(channel=compose.channel, kind=EventKind.CARD_ACTION,
                         event_id=f"compose-close:{compose.id}",
                         user=UserRef(compose.channel, compose.user_id), received_at=utcnow(),
                         action=button_key(CLOSE, compose.id))


async def close_due(feed: Feed) -> int:
    """Feed a close event for every passed window; the number fed."""
    due = await due_composes()
    for compose in due:
        await feed(close_event(compose))
    return len(due)


class Closer:
    def __init__(self, feed: Feed, poll_seconds: float = POLL_SECONDS) -> None:
        self.feed = feed
        self.poll_seconds = poll_seconds
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await close_due(self.feed)
            except Exception:
                log.exception("closing join windows failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)
