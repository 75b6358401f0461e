"""Durable outgoing messages: written with the change that caused them, sent by a loop.

A row is claimed with a conditional update (a lease), so two senders never deliver
the same row at once; a sender that dies mid-delivery leaves a lease that expires.
Delivery keeps each recipient's order: a row waits while an older one to the same
person is still pending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta

from tortoise.expressions import Q

from bot.channels.base import Channel
from bot.clock import utcnow
from bot.errors import ChannelAPIError, ChannelNetworkError
from bot.events import CardUpdate, Outgoing, OutgoingCard, outgoing_from_dict
from models.system import Outbox

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF_SECONDS = 600
BATCH = 100


async def enqueue(channel: str, user_id: str, message: Outgoing | CardUpdate) -> Outbox:
    """Queue one message; call inside the transaction of the change that caused it."""
    return await Outbox.create(channel=channel, user_id=user_id, payload=message.to_dict(),
                               next_attempt_at=utcnow())


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, MAX_BACKOFF_SECONDS))


class Sender:
    """Delivers due outbox rows through the channel adapters."""

    def __init__(self, channels: Mapping[str, Channel], *, max_attempts: int,
                 poll_seconds: float) -> None:
        self.channels = channels
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Forever: deliver what is due, then sleep until woken or the poll interval."""
        while True:
            try:
                await self.flush()
            except Exception:
                log.exception("outbox pass failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass

    async def flush(self) -> int:
        """Deliver every row due now; return how many were sent."""
        sent = 0
        while True:
            rows = await self._due()
            progress = [await self._deliver(row) for row in rows]
            sent += sum(1 for p in progress if p)
            if len(rows) < BATCH or not any(p is not None for p in progress):
                return sent

    async def _due(self) -> list[Outbox]:
        now = utcnow()
        return await Outbox.filter(
            Q(status="pending"), Q(next_attempt_at__lte=now),
            Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        ).order_by("id").limit(BATCH)

    async def _claim(self, row: Outbox) -> bool:
        now = utcnow()
        earlier = await Outbox.filter(channel=row.channel, user_id=row.user_id,
                                      status="pending", id__lt=row.id).exists()
        if earlier:
            return False
        claimed = await Outbox.filter(
            Q(id=row.id), Q(status="pending"),
            Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        ).update(locked_until=now + LEASE)
        return claimed == 1

    async def _deliver(self, row: Outbox) -> bool | None:
        """True if sent, False if it failed or will be retried, None if not ours now."""
        if not await self._claim(row):
            return None
        try:
            await self._send(row)
        except (ChannelAPIError, ChannelNetworkError) as exc:
            retryable = not isinstance(exc, ChannelAPIError) or exc.retryable
            await self._failed(row, str(exc), retryable=retryable)
            return False
        except Exception as exc:
            log.exception("outbox %s: unexpected error via %s", row.id, row.channel)
            await self._failed(row, repr(exc), retryable=True)
            return False
        await Outbox.filter(id=row.id).update(status="sent", sent_at=utcnow(), locked_until=None,
                                              attempts=row.attempts + 1)
        return True

    async def _send(self, row: Outbox) -> None:
        channel = self.channels.get(row.channel)
        if channel is None:
            raise ChannelAPIError(-1, f"channel {row.channel!r} is not configured",
                                  retryable=False)
        payload = row.payload
        if payload["type"] == "card_update":
            card = outgoing_from_dict(payload["card"])
            assert isinstance(card, OutgoingCard)
            await channel.update_card(row.user_id, CardUpdate(card), outbox_id=row.id)
        else:
            await channel.send(row.user_id, outgoing_from_dict(payload), outbox_id=row.id)

    async def _failed(self, row: Outbox, error: str, *, retryable: bool) -> None:
        attempts = row.attempts + 1
        give_up = not retryable or attempts >= self.max_attempts
        log.warning("outbox %s to %s via %s failed (attempt %s%s): %s", row.id, row.user_id,
                    row.channel, attempts, ", giving up" if give_up else "", error)
        await Outbox.filter(id=row.id).update(
            status="failed" if give_up else "pending", attempts=attempts, last_error=error,
            locked_until=None, next_attempt_at=utcnow() + backoff(attempts),
        )


async def enqueue_many(messages: Iterable[tuple[str, str, Outgoing | CardUpdate]]) -> int:
    """Queue many (channel, user_id, message) in few statements; same rules as enqueue."""
    now = utcnow()
    rows = [Outbox(channel=channel, user_id=user_id, payload=message.to_dict(),
                   next_attempt_at=now) for channel, user_id, message in messages]
    await Outbox.bulk_create(rows, batch_size=BATCH)
    return len(rows)
