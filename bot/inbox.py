"""The durable inbox: every inbound event is on disk before the platform gets its 200.

A channel adapter verifies and parses a callback into an IncomingEvent and awaits
`Inbox.accept(event)`, which returns once the event is committed to the inbound_event
table (status `pending`, the event in `payload`). One writer task commits what arrived
meanwhile in one statement (group commit), so acks stay fast without a batching delay.

The pump then handles pending events through the core (`handle`, the dispatcher): it
claims a few with `SELECT … FOR UPDATE SKIP LOCKED` and a lease, as the outbox sender does,
so two replicas never work on one event at once and a crashed replica's claims are taken
over when their lease ends; on start-up it resumes whatever is pending. Exactly once does
not rest on the lease: the dispatcher marks the event `done` in the handler's own
transaction, only if it is still pending, so a second attempt finds it done and changes
nothing. One sender's events are handled in the order they arrived.

Acks come first. On SQLite a handler's transaction holds the database's one write lock,
so a callback arriving meanwhile waits for it; there the pump starts an event only once no
callback has arrived for QUIET_SECONDS (or it has waited MAX_DEFER_SECONDS). During a burst
it waits and catches up after: the platform's deadline is on the ack, not on the answer, and
the events are on disk. Server databases lock rows, so there the pump never waits.

A pump pass runs as a tracked background task (bot/tasks.py), so draining the tasks also
waits for the events accepted so far (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from bot.clock import utcnow
from bot.db import insert_new
from bot.events import IncomingEvent, event_from_dict, event_to_dict
from bot.health import Heartbeat
from bot.fixed import Fixed
from bot.leases import Claimable, Leases, Take
from models.system import InboundEvent

log = logging.getLogger(__name__)

PENDING, DONE, FAILED = "pending", "done", "failed"
BATCH = 20  # events claimed at once: small, so replicas share a burst
# a sender's earlier pending event, looked for before each of their events
_EARLIER: Fixed[int | None] = Fixed(
    lambda channel, user, before: InboundEvent.filter(
        channel=channel, user_id=user, status=PENDING, id__lt=before).first()
    .values_list("id", flat=True),
    lambda channel, user, before: [channel, user, PENDING, before, 1])
# the pump's claim, every pass
_PENDING_AFTER = Claimable(
    lambda after: InboundEvent.filter(status=PENDING, id__gt=after).order_by("id"),
    lambda after: [PENDING, after])
MAX_WRITE = 500  # events committed in one statement at most
WORKERS = 2  # senders handled at once by one process
MAX_BACKOFF_SECONDS = 600
QUIET_SECONDS = 0.1  # SQLite: no callback for this long, and the pump may start an event
MAX_DEFER_SECONDS = 10.0  # SQLite: under a steady stream, one event per worker this often
USER_ID_MAX = 64
EVENT_ID_MAX = 191
CHANNEL_MAX = 16

Handle = Callable[[IncomingEvent], Awaitable[Any]]
# a channel's last step before the core, at handling time: the event to handle, or None
# to drop it (e.g. a tap on a card this bot never sent)
Prepare = Callable[[IncomingEvent], Awaitable[IncomingEvent | None]]
Spawn = Callable[[Coroutine[Any, Any, Any]], Any]


# the stored event the pump is handing to the core now (channel, event id): its row exists
_handing: ContextVar[tuple[str, str] | None] = ContextVar("inbox_handing", default=None)


def handing(event: IncomingEvent) -> bool:
    """The pump is handing over this event: it has a row here, claimed while pending (the
    dispatcher marks that row done; any other event gets its row from the dispatcher)."""
    return _handing.get() == (event.channel, event.event_id)


class BadEvent(ValueError):
    """An event the inbox cannot store (ids too long, text that is not valid Unicode)."""


class InboxClosed(RuntimeError):
    """The bot is shutting down: the event was not taken (the platform retries)."""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, MAX_BACKOFF_SECONDS))


def _row(event: IncomingEvent) -> InboundEvent:
    if not all(isinstance(v, str) for v in (event.user.user_id, event.event_id, event.text,
                                            event.action)):
        raise BadEvent("ids and text must be strings")
    if len(event.user.user_id) > USER_ID_MAX or len(event.event_id) > EVENT_ID_MAX \
            or len(event.channel) > CHANNEL_MAX or not event.user.user_id:
        raise BadEvent("user id, event id or channel too long or empty")
    payload = event_to_dict(event)
    try:
        text = json.dumps(payload, ensure_ascii=False)
        text.encode()
    except (UnicodeEncodeError, ValueError):
        raise BadEvent("text is not valid Unicode") from None
    if "\\u0000" in text:
        raise BadEvent("text contains NUL")  # PostgreSQL's JSON refuses it
    return InboundEvent(channel=event.channel, event_id=event.event_id, status=PENDING,
                        user_id=event.user.user_id, payload=payload)


class Inbox:
    """Takes events durably (accept) and hands each to the core once (the pump)."""

    def __init__(self, handle: Handle, *, spawn: Spawn, lease_seconds: float,
                 poll_seconds: float, max_attempts: int, workers: int = WORKERS,
                 heartbeat: Heartbeat | None = None) -> None:
        self.handle = handle
        self.spawn = spawn
        self.leases = Leases(InboundEvent, timedelta(seconds=lease_seconds))
        self.lease = self.leases.lease
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.workers = workers
        self.heartbeat = heartbeat
        self.prepare: dict[str, Prepare] = {}
        self.name = self.leases.owner
        self._queue: list[tuple[InboundEvent, asyncio.Future[None]]] = []
        self._write = asyncio.Event()
        self._stop = asyncio.Event()
        self._open = False
        self._passes = 0  # pump passes running
        self._limit = asyncio.Semaphore(workers)  # events handled at once, by all passes
        self._again = False
        self._held_back = False  # a pass released an event that waits for an earlier one
        self._tasks: list[asyncio.Task[None]] = []
        self._last_intake = 0.0
        self._defer = False  # SQLite: handling waits for a pause in the callbacks
        self._writing = False

    # --- intake ---------------------------------------------------------------------

    async def accept(self, event: IncomingEvent) -> None:
        """Return once the event is committed (a retry of a stored event counts as stored).

        BadEvent for an event that cannot be stored (answer 4xx); InboxClosed while
        shutting down and any database error (answer 5xx: the platform retries).
        """
        row = _row(event)
        if not self._open:
            raise InboxClosed("the inbox is not taking events")
        loop = asyncio.get_running_loop()
        self._last_intake = loop.time()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.append((row, future))
        self._write.set()
        await future

    async def _writer(self) -> None:
        """Commit whatever is queued in one statement; repeat while more arrives."""
        while True:
            await self._write.wait()
            self._write.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_WRITE], self._queue[MAX_WRITE:]
                self._writing = True
                try:
                    await self._commit(batch)
                finally:
                    self._writing = False
                    # a slow commit holds the callbacks that would follow: count it as intake
                    self._last_intake = asyncio.get_running_loop().time()
                self.wake()
            if self._stop.is_set() and not self._queue:
                return

    async def _commit(self, batch: list[tuple[InboundEvent, asyncio.Future[None]]]) -> None:
        try:
            await self._insert([row for row, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                row = batch[0][0]
                # the type only: a driver's message may quote the values (someone's text)
                log.warning("inbox: storing event %s/%s failed: %s", row.channel, row.event_id,
                            type(exc).__name__)
                _settle(batch[0][1], exc=_failure())
                return
            # one bad row must not fail the others: try each alone
            for item in batch:
                await self._commit([item])
            return
        for _, future in batch:
            _settle(future)

    @staticmethod
    async def _insert(rows: list[InboundEvent]) -> None:
        async with in_transaction():
            # a platform retry of a stored event is no new row (unique channel + event id);
            # nothing else is skipped: an event the table cannot hold is refused (5xx)
            await insert_new(InboundEvent, rows, ("channel", "event_id"))

    # --- the pump -------------------------------------------------------------------

    def wake(self) -> None:
        """Start a pump pass while a worker is free, else have a running pass look again
        when it is done. Passes run side by side so that one long event (a relay to every
        unit) does not hold up the events that arrive while it runs; each claims its own
        rows, and the workers are shared."""
        if not self._open:
            return
        if self._passes >= self.workers or (self._passes and self._limit.locked()):
            self._again = True
            return
        self._passes += 1
        self.spawn(self._pass())

    async def _pass(self) -> None:
        try:
            while True:
                self._again = False
                try:
                    await self.pump()
                except Exception:
                    log.exception("inbox pass failed")
                if not self._again or not self._open:
                    return
        finally:
            self._passes -= 1

    async def pump(self) -> int:
        """Handle every event that is pending and not held by another pump; how many."""
        handled, after = 0, 0
        while True:
            batch = await self._claim(after)
            if not batch:
                return handled
            handled += await self._handle_batch(batch)
            if len(batch) < BATCH:
                return handled
            after = batch[-1].id

    async def _claim(self, after: int) -> list[InboundEvent]:
        async def select(take: Take) -> list[InboundEvent]:
            return await take(_PENDING_AFTER, BATCH, after)

        return await self.leases.claim(select)

    async def _handle_batch(self, batch: list[InboundEvent]) -> int:
        senders: dict[tuple[str, str], list[InboundEvent]] = {}
        for row in batch:
            senders.setdefault((row.channel, row.user_id), []).append(row)
        async def one_sender(rows: list[InboundEvent]) -> int:
            async with self._limit:
                if await self._waits_for_earlier(rows[0]):
                    # its turn comes after the earlier one: the pass handling that one
                    # looks again (the flag, raised first), or if it ended meanwhile and
                    # looked already, this pass does (the check after the release)
                    self._held_back = True
                    await self._release(rows)
                    if not await self._waits_for_earlier(rows[0]):
                        self._again = True
                    return 0
                done = 0
                for row in rows:
                    await self._after_intake()
                    done += await self._handle(row)
                if self._held_back:  # a later event waited for one of these: look again
                    self._held_back, self._again = False, True
                return done

        return sum(await asyncio.gather(*(one_sender(rows) for rows in senders.values())))

    async def _after_intake(self) -> None:
        """SQLite: wait until no callback has arrived or been committed for QUIET_SECONDS, at most
        MAX_DEFER_SECONDS (see the module doc)."""
        if not self._defer:
            return
        loop = asyncio.get_running_loop()
        give_up = loop.time() + MAX_DEFER_SECONDS
        while loop.time() < give_up:
            idle = loop.time() - self._last_intake
            if not self._queue and not self._writing and idle >= QUIET_SECONDS:
                return
            await asyncio.sleep(max(QUIET_SECONDS - idle, 0.005))

    async def _waits_for_earlier(self, row: InboundEvent) -> bool:
        return await _EARLIER(row.channel, row.user_id, row.id) is not None

    async def _release(self, rows: list[InboundEvent]) -> None:
        await self.leases.release([r.id for r in rows], where={"status": PENDING})

    async def _still_ours(self, row: InboundEvent) -> bool:
        """Renew a lease more than half spent, if the event is still ours and pending."""
        return self.leases.fresh(row) or bool(await self.leases.renew([row], status=PENDING))

    async def _handle(self, row: InboundEvent) -> int:
        """Hand one claimed event to the core; 1 if it was handled (or dropped)."""
        if not await self._still_ours(row):
            return 0
        try:
            event: IncomingEvent | None = event_from_dict(row.payload or {})
        except (KeyError, TypeError, ValueError):
            log.error("inbox event %s/%s cannot be read; dropped", row.channel, row.event_id)
            event = None
        try:
            prepare = self.prepare.get(row.channel)
            if event is not None and prepare is not None:
                event = await prepare(event)
            if event is not None:
                # the dispatcher marks the event done in the handler's transaction; False:
                # it already was (another replica, or an attempt before a crash)
                token = _handing.set((row.channel, row.event_id))
                try:
                    return 0 if await self.handle(event) is False else 1
                finally:
                    _handing.reset(token)
        except Exception as exc:
            await self._failed(row, exc)
            return 0
        await InboundEvent.filter(id=row.id, status=PENDING).update(
            status=DONE, payload=None, locked_until=None, claimed_by=None)
        return 1

    async def _failed(self, row: InboundEvent, exc: Exception) -> None:
        attempts = row.attempts + 1
        give_up = attempts >= self.max_attempts
        log.error("inbox event %s/%s failed (attempt %s%s): %r", row.channel, row.event_id,
                  attempts, ", giving up" if give_up else "", exc)
        with contextlib.suppress(Exception):  # the database may be what failed
            await InboundEvent.filter(id=row.id, status=PENDING, claimed_by=self.name).update(
                status=FAILED if give_up else PENDING, attempts=attempts, claimed_by=None,
                locked_until=utcnow() + backoff(attempts))

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        """Take events and resume the ones left pending (by a crash or a stop)."""
        self._open = True
        self._defer = connections.get("default").capabilities.dialect == "sqlite"
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._writer()), asyncio.create_task(self._poll())]
        self.wake()

    async def _poll(self) -> None:
        """Look again now and then: leases that ended, events whose retry is due."""
        while not self._stop.is_set():
            if self.heartbeat is not None:
                self.heartbeat.beat()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll_seconds)
            self.wake()

    async def stop(self) -> None:
        """Stop taking events, commit what was accepted; a pass in progress is a tracked
        task (drained with the others), events left pending are resumed on the next start."""
        self._open = False
        self._stop.set()
        self._write.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for row, future in self._queue:  # the writer ended: nothing should be left
            _settle(future, exc=InboxClosed(f"event {row.event_id} not taken"))
        self._queue.clear()


def _failure() -> Exception:
    return RuntimeError("the inbox could not store the event")


def _settle(future: asyncio.Future[None], exc: Exception | None = None) -> None:
    if future.done():  # the request went away meanwhile; the event is stored all the same
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
