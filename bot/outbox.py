"""Durable outgoing messages: written with the change that caused them, sent by a loop.

Several senders (replicas) share the table. A sender claims a batch of due rows with
`SELECT … FOR UPDATE SKIP LOCKED` and stamps them with its name and a lease; before
each delivery it renews the lease only if the row is still its own, so a row is never
delivered by two senders at once. A sender that dies leaves leases that expire, and
another sender takes the rows over. Delivery keeps each recipient's order: a row
waits while an older one to the same person is still pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.channels.base import Channel, Paced
from bot.clock import utcnow
from bot.errors import ChannelAPIError, ChannelNetworkError, RecipientError
from bot.events import CardUpdate, Outgoing, OutgoingCard, outgoing_from_dict
from bot.health import Heartbeat
from bot.metrics import Metrics
from bot.redact import redact
from models.system import Outbox

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 600
BATCH = 100
SENT, FAILED, WAITING, NOT_OURS = "sent", "failed", "waiting", "not_ours"

# (channel, user_id, reason): told when a platform says a recipient cannot be reached
UndeliverableHook = Callable[[str, str, str], Awaitable[None]]


async def enqueue(channel: str, user_id: str, message: Outgoing | CardUpdate) -> Outbox:
    """Queue one message; call inside the transaction of the change that caused it."""
    return await Outbox.create(channel=channel, user_id=user_id, payload=message.to_dict(),
                               next_attempt_at=utcnow())


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, MAX_BACKOFF_SECONDS))


class Sender:
    """Delivers due outbox rows through the channel adapters."""

    def __init__(self, channels: Mapping[str, Channel], *, max_attempts: int,
                 poll_seconds: float, on_undeliverable: UndeliverableHook | None = None,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS, metrics: Metrics | None = None,
                 heartbeat: Heartbeat | None = None) -> None:
        self.channels = channels
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.on_undeliverable = on_undeliverable
        self.lease = timedelta(seconds=lease_seconds)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.metrics = metrics or Metrics()
        self.heartbeat = heartbeat
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Ask run() to return after the pass in progress (graceful shutdown)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver what is due, then sleep until woken or the poll interval; after stop(),
        return once the pass in progress (or, if it was asleep, one last pass) is done."""
        while True:
            if self.heartbeat is not None:
                self.heartbeat.beat()
            try:
                await self.flush()
            except Exception:
                log.exception("outbox pass failed")
            if self._stopping:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def flush(self) -> int:
        """Deliver every row due now; return how many were sent."""
        sent, after = 0, 0
        while True:
            batch = await self._claim_batch(after)
            blocked: set[tuple[str, str]] = set()
            for row in batch:
                recipient = (row.channel, row.user_id)
                if recipient in blocked or await self._waits_for_earlier(row):
                    blocked.add(recipient)
                    await self._release(row)
                    continue
                outcome = await self._deliver(row)
                sent += outcome == SENT
                if outcome in (WAITING, NOT_OURS):
                    blocked.add(recipient)  # later rows to this person keep their order
            if len(batch) < BATCH:
                return sent
            after = batch[-1].id

    def _due(self, now: datetime) -> Q:
        return (Q(status="pending") & Q(next_attempt_at__lte=now)
                & (Q(locked_until__isnull=True) | Q(locked_until__lt=now)))

    async def _claim_batch(self, after: int) -> list[Outbox]:
        """Take up to BATCH due rows that no other sender holds (SKIP LOCKED)."""
        now = utcnow()
        async with in_transaction():
            rows = await Outbox.select_for_update(skip_locked=True) \
                .filter(self._due(now), id__gt=after).order_by("id").limit(BATCH)
            if rows:
                await Outbox.filter(id__in=[r.id for r in rows]).update(
                    locked_until=now + self.lease, claimed_by=self.name)
        return list(rows)

    async def _renew(self, row: Outbox) -> bool:
        """Extend the lease just before sending, if the row is still ours and pending."""
        renewed = await Outbox.filter(id=row.id, status="pending", claimed_by=self.name) \
            .update(locked_until=utcnow() + self.lease)
        return renewed == 1

    async def _release(self, row: Outbox) -> None:
        await Outbox.filter(id=row.id, claimed_by=self.name).update(locked_until=None,
                                                                    claimed_by=None)

    async def _waits_for_earlier(self, row: Outbox) -> bool:
        return await Outbox.filter(channel=row.channel, user_id=row.user_id,
                                   status="pending", id__lt=row.id).exists()

    async def _deliver(self, row: Outbox) -> str:
        """Send one claimed row; SENT, FAILED (given up), WAITING (retry later) or NOT_OURS."""
        if not await self._renew(row):
            return NOT_OURS
        paced_until = await self._paced_until(row)
        if paced_until is not None:
            # not an attempt: the row simply waits for the recipient's window to open
            await Outbox.filter(id=row.id).update(locked_until=None, claimed_by=None,
                                                  next_attempt_at=paced_until)
            return WAITING
        try:
            await self._send(row)
        except RecipientError as exc:
            outcome = await self._failed(row, str(exc), retryable=False)
            await self._undeliverable(row, redact(str(exc)))
            return outcome
        except (ChannelAPIError, ChannelNetworkError) as exc:
            retryable = not isinstance(exc, ChannelAPIError) or exc.retryable
            return await self._failed(row, str(exc), retryable=retryable)
        except Exception as exc:
            log.exception("outbox %s: unexpected error via %s", row.id, row.channel)
            return await self._failed(row, repr(exc), retryable=True)
        sent_at = utcnow()
        await Outbox.filter(id=row.id).update(status="sent", sent_at=sent_at, locked_until=None,
                                              claimed_by=None, attempts=row.attempts + 1)
        self.metrics.delivery_seconds.labels(channel=row.channel).observe(
            (sent_at - row.created_at).total_seconds())
        return SENT

    async def _paced_until(self, row: Outbox) -> datetime | None:
        """When the channel's per-recipient limits allow this row, if not now."""
        channel = self.channels.get(row.channel)
        if not isinstance(channel, Paced):
            return None
        now = utcnow()
        for count, seconds in channel.pace_limits(row.user_id):
            window = timedelta(seconds=seconds)
            recent = Outbox.filter(channel=row.channel, user_id=row.user_id, status="sent",
                                   sent_at__gt=now - window)
            if await recent.count() >= count:
                oldest = await recent.order_by("-sent_at").offset(count - 1).first() \
                    .values_list("sent_at", flat=True)
                return oldest + window
        return None

    async def _undeliverable(self, row: Outbox, reason: str) -> None:
        if self.on_undeliverable is None:
            return
        try:
            await self.on_undeliverable(row.channel, row.user_id, reason)
        except Exception:
            log.exception("outbox %s: undeliverable hook failed", row.id)

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

    async def _failed(self, row: Outbox, error: str, *, retryable: bool) -> str:
        error = redact(error)  # stored and logged: never a token or a secret
        attempts = row.attempts + 1
        give_up = not retryable or attempts >= self.max_attempts
        log.warning("outbox %s to %s via %s failed (attempt %s%s): %s", row.id, row.user_id,
                    row.channel, attempts, ", giving up" if give_up else "", error)
        self.metrics.delivery_failures.labels(channel=row.channel,
                                              final=str(give_up).lower()).inc()
        await Outbox.filter(id=row.id).update(
            status="failed" if give_up else "pending", attempts=attempts, last_error=error,
            locked_until=None, claimed_by=None, next_attempt_at=utcnow() + backoff(attempts),
        )
        return FAILED if give_up else WAITING


async def enqueue_many(messages: Iterable[tuple[str, str, Outgoing | CardUpdate]]) -> int:
    """Queue many (channel, user_id, message) in few statements; same rules as enqueue."""
    now = utcnow()
    rows = [Outbox(channel=channel, user_id=user_id, payload=message.to_dict(),
                   next_attempt_at=now) for channel, user_id, message in messages]
    await Outbox.bulk_create(rows, batch_size=BATCH)
    return len(rows)
