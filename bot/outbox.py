"""Durable outgoing messages: written with the change that caused them, sent by a loop.

Several senders (replicas) share the table. A sender claims a batch of due rows with
`SELECT … FOR UPDATE SKIP LOCKED` and stamps them with its name and a lease (bot/leases.py);
it renews leases (only rows still its own, so a row is never delivered by two senders at
once) when one is half spent. A sender that dies leaves leases that expire, and another
sender takes the rows over. Delivery keeps each recipient's order: a row waits while an
older one to the same person is still pending.

Cost per batch, not per message: the claim (one transaction, which also finds each
recipient's oldest pending row left out of the batch, for the order check), one query for
the paced recipients' recent sends (pacing is then worked out in memory). A row is marked
sent before its recipient's next row goes, so a crash leaves at most the rows in flight
unrecorded (one per recipient served at once; retried after the lease, and WeCom's
duplicate check hides the repeats); rows the platform answered together share one mark
(group commit). A mark that fails is tried again; if the database stays away, the rows
are kept and marked before this sender claims anything again, and their recipients'
next rows wait. A channel in our own database (the simulator) gets its rows of the batch
inside the claim's transaction, marked sent there with no lease: exactly once, one commit. Rows are claimed most urgent
first (priority: cards, then answers, then bulk), each recipient's earlier rows with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from bot.channels.base import Channel, InDatabase, Paced
from bot.clock import utcnow
from bot.db import is_deadlock
from bot.errors import ChannelAPIError, ChannelNetworkError, RecipientError
from bot.events import CardUpdate, Outgoing, OutgoingCard, outgoing_from_dict
from bot.foreground import Foreground
from bot.health import Heartbeat
from bot.fixed import Fixed
from bot.leases import Claimable, Leases, Take, free, pin_primary, update_ids
from bot.metrics import Metrics
from bot.redact import redact
from models.system import Outbox

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 600
BATCH = 100
YIELD_EVERY = 50  # rows queued in one handler between turns given to the event loop
SENT, FAILED, WAITING, NOT_OURS = "sent", "failed", "waiting", "not_ours"
UNRECORDED = "unrecorded"  # sent, but its sent mark could not be written yet
MARK_ATTEMPTS = 4  # a sent mark's tries within the pass, 0.1 s, 0.2 s, 0.4 s apart
# delivery order across recipients (each recipient's own rows always go in queue order):
# review cards and card updates first, then answers and notices, then bulk (reminders,
# digests); a burst of bulk rows never holds up the cards of others
URGENT, NORMAL, BULK = 0, 1, 2

Key = tuple[str, str]  # (channel, user_id): one recipient

# (channel, user_id, reason): told when a platform says a recipient cannot be reached
UndeliverableHook = Callable[[str, str, str], Awaitable[None]]


def priority_of(message: Outgoing | CardUpdate) -> int:
    return URGENT if isinstance(message, (OutgoingCard, CardUpdate)) else NORMAL


_pending: ContextVar[list[Outbox] | None] = ContextVar("outbox_pending", default=None)


async def enqueue(channel: str, user_id: str, message: Outgoing | CardUpdate, *,
                  priority: int | None = None) -> Outbox:
    """Queue one message; call inside the transaction of the change that caused it.
    `priority` (URGENT, NORMAL, BULK): by default cards are urgent, the rest normal.
    Inside deferred() the row is written with the others at the end of that block (it has
    no id until then)."""
    row = Outbox(channel=channel, user_id=user_id, payload=message.to_dict(),
                 next_attempt_at=utcnow(),
                 priority=priority_of(message) if priority is None else priority)
    pending = _pending.get()
    if pending is not None:
        pending.append(row)
        if len(pending) % YIELD_EVERY == 0:
            # a handler queuing thousands (a relay to every unit) reads nothing per row:
            # let the callbacks this process acknowledges run meanwhile
            await asyncio.sleep(0)
    else:
        await row.save()
    return row


@contextlib.asynccontextmanager
async def deferred() -> AsyncIterator[None]:
    """Collect the rows a block queues and insert them together, in queue order, when it
    ends without an error (a handler's transaction: one statement, not one per message)."""
    pending: list[Outbox] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if len(pending) == 1:
        await pending[0].save()
    elif pending:
        await Outbox.bulk_create(pending, batch_size=BATCH)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, MAX_BACKOFF_SECONDS))



def _due(now: datetime, after: tuple[tuple[int, int], ...]) -> Q:
    """Pending rows due at `now`, in each priority only those after where a flush got to."""
    due = Q(status="pending", next_attempt_at__lte=now)
    for priority, last_id in after:
        due &= ~Q(priority=priority) | Q(id__gt=last_id)
    return due


# every flush's claim and its order check (fixed SQL, issue 19)
_DUE = Claimable(lambda now, after: Outbox.filter(_due(now, after)).order_by("priority", "id"),
                 lambda now, after: ["pending", now, *(v for pair in after for v in pair)])
_SENT: Fixed[int] = Fixed(
    lambda ids, at: Outbox.filter(id__in=ids).update(
        status="sent", sent_at=at, locked_until=None, claimed_by=None,
        attempts=F("attempts") + 1),
    lambda ids, at: ["sent", at, 1, *ids], rewrite=pin_primary)
_SENT_HELD: Fixed[int] = Fixed(
    lambda ids, at, owner: Outbox.filter(id__in=ids, claimed_by=owner, status="pending").update(
        status="sent", sent_at=at, locked_until=None, claimed_by=None,
        attempts=F("attempts") + 1),
    lambda ids, at, owner: ["sent", at, 1, *ids, owner, "pending"], rewrite=pin_primary)
_OLDER_PENDING: Fixed[list[dict[str, Any]]] = Fixed(
    lambda channels, users, ids: Outbox.filter(
        status="pending", channel__in=channels, user_id__in=users).exclude(id__in=ids)
    .annotate(first=Min("id"), due=Min("next_attempt_at")).group_by("channel", "user_id")
    .values("channel", "user_id", "first", "due"),
    lambda channels, users, ids: ["pending", *channels, *users, *ids])

class Sender:
    """Delivers due outbox rows through the channel adapters, a claimed batch at a time."""

    def __init__(self, channels: Mapping[str, Channel], *, max_attempts: int,
                 poll_seconds: float, on_undeliverable: UndeliverableHook | None = None,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS, metrics: Metrics | None = None,
                 heartbeat: Heartbeat | None = None, concurrency: int = 1,
                 foreground: Foreground | None = None) -> None:
        self.channels = channels
        self.foreground = foreground or Foreground()
        # recipients served at once: the platform answers each send in tens of ms, so one
        # at a time leaves a replica waiting on the network (each recipient's rows still go
        # one by one, in order)
        self.concurrency = max(1, concurrency)
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.on_undeliverable = on_undeliverable
        self.metrics = metrics or Metrics()
        self.queries = 0  # statements this sender ran (also govmedia_outbox_queries)
        self.leases = Leases(Outbox, timedelta(seconds=lease_seconds), on_query=self._count)
        self.name = self.leases.owner
        self.heartbeat = heartbeat
        self._wake = asyncio.Event()
        self._stopping = False
        self._waits: dict[tuple[str, str], datetime] = {}
        # rows sent whose sent mark failed, with their sent_at: written before this
        # sender claims anything again (their leases are still ours meanwhile)
        self._unmarked: dict[int, tuple[Outbox, datetime]] = {}

    @property
    def lease(self) -> timedelta:
        return self.leases.lease

    def _count(self, n: int) -> None:
        self.queries += n
        self.metrics.outbox_queries.inc(n)

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
                await self._mark_before_stop()
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def _mark_before_stop(self) -> None:
        """The marks the last pass could not write: tried once more, since nothing keeps
        them after this (their rows would go again when the lease runs out)."""
        if not self._unmarked:
            return
        try:
            await self._mark_unmarked()
        except Exception as exc:
            log.error("outbox: %s rows sent but not recorded at stop (%r); they go again "
                      "after their lease", len(self._unmarked), exc)

    async def flush(self) -> int:
        """Deliver every row due now, most urgent first; return how many were sent."""
        sent, after = 0, dict[int, int]()
        self._waits = {}  # recipients told to wait in this flush, and till when
        while True:
            # before every claim, the pass's own too: a backlog can outlast the lease of a
            # row whose mark failed in an earlier batch, and the next claim would take it
            sent += await self._mark_unmarked()
            claim = await self._claim_batch(after)
            sent += len(claim.delivered)
            self._observe(claim.delivered, claim.at)
            if claim.rows:
                sent += await self._deliver_batch(claim.rows, claim.older, claim.older_due)
            if not claim.full:
                return sent
            after = claim.after

    def _due(self, now: datetime) -> Q:
        return Q(status="pending") & Q(next_attempt_at__lte=now) & free(now)

    async def _claim_batch(self, after: Mapping[int, int] | None = None) -> _Claim:
        """Take up to BATCH due rows no other sender holds (SKIP LOCKED), most urgent first,
        plus the due rows queued earlier to the same recipients (their order is kept, so a
        card never waits behind a reminder queued before it that nobody took yet).

        `after` (priority → id) is where this flush got to in each priority: rows it claimed
        and gave back (held behind a recipient's older row) are not taken again, while a row
        queued since, however urgent, is: a card queued during a burst of bulk rows goes in
        the next batch, not after the whole burst. The same transaction finds each
        recipient's oldest pending row left out of the batch (the order check; it also says
        whether earlier rows need claiming at all) and delivers the rows for a channel in
        our own database (they need no lease)."""
        now = utcnow()
        claim = _Claim(at=now)

        async def select(take: Take) -> list[Outbox]:
            # afresh each time: a claim rolled back (a deadlock) runs again
            claim.after, claim.full, claim.delivered = dict(after or {}), False, []
            claim.older, claim.older_due = {}, {}
            rows = await take(_DUE, BATCH, now, tuple(claim.after.items()))
            if not rows:
                return rows
            claim.full = len(rows) == BATCH
            for row in rows:
                claim.after[row.priority] = max(claim.after.get(row.priority, 0), row.id)
            newest: dict[Key, int] = {}
            for row in rows:
                key = (row.channel, row.user_id)
                newest[key] = max(newest.get(key, 0), row.id)
            claim.older, claim.older_due = await self._older_pending(rows)
            top = min(r.priority for r in rows)
            if top < BULK and any(claim.older.get(k, n) < n for k, n in newest.items()):
                # a recipient has a less urgent row queued before one claimed: take it too
                earlier = [r for r in await take(Outbox.filter(
                    status="pending", next_attempt_at__lte=now, priority__gt=top,
                    channel__in={c for c, _ in newest}, user_id__in={u for _, u in newest},
                    id__lt=max(newest.values())).exclude(id__in=[r.id for r in rows])
                    .order_by("id"), BATCH) if r.id < newest.get((r.channel, r.user_id), 0)]
                if earlier:
                    rows += earlier
                    claim.older, claim.older_due = await self._older_pending(rows)
            return await self._deliver_locked(rows, claim)

        try:
            claim.rows = await self.leases.claim(select)
        except _InClaimFailed as exc:
            log.warning("outbox: rows via %s not delivered in the claim (%r); by lease instead",
                        exc.args[0], exc.__cause__)
            claim.in_claim = False
            claim.rows = await self.leases.claim(select)
        return claim

    async def _older_pending(self, rows: list[Outbox]
                             ) -> tuple[dict[Key, int], dict[Key, datetime]]:
        """Each recipient's oldest pending row not among `rows`, and the soonest any of
        their pending rows not among `rows` is due (one query for the batch)."""
        found = await _OLDER_PENDING(sorted({r.channel for r in rows}),
                                     sorted({r.user_id for r in rows}), [r.id for r in rows])
        self._count(1)
        return ({(f["channel"], f["user_id"]): f["first"] for f in found},
                {(f["channel"], f["user_id"]): f["due"] for f in found})

    async def _deliver_locked(self, rows: list[Outbox], claim: _Claim) -> list[Outbox]:
        """Inside the claim (the rows locked): deliver the rows for channels in our own
        database and mark them sent, each channel in a savepoint, so they are done exactly
        once for the claim's one commit. Returns the rows left to lease; a recipient behind
        an older row, or a channel whose delivery failed, is left to the lease path."""
        groups: dict[Key, list[Outbox]] = {}
        for row in sorted(rows, key=lambda r: r.id):
            if claim.in_claim and isinstance(self.channels.get(row.channel), InDatabase):
                groups.setdefault((row.channel, row.user_id), []).append(row)
        ready = [g for key, g in groups.items() if claim.older.get(key, g[0].id) >= g[0].id]
        for name in dict.fromkeys(g[0].channel for g in ready):
            channel = self.channels[name]
            assert isinstance(channel, InDatabase)
            mine = [row for g in ready if g[0].channel == name for row in g]
            # no savepoint: MySQL rolls a deadlock victim back whole, savepoints and locks
            # included, so a failure here fails the claim; a deadlock runs it again, any
            # other error runs it again without this (_InClaimFailed: the lease path)
            try:
                self._count(1)
                await self._sent_update([row.id for row in mine], claim.at)
                await channel.deliver_all([(row.id, row.user_id, _message(row.payload))
                                           for row in mine])
            except Exception as exc:
                if is_deadlock(exc):
                    raise
                raise _InClaimFailed(name) from exc
            claim.delivered += mine
        done = {row.id for row in claim.delivered}
        return [row for row in rows if row.id not in done]

    def _observe(self, rows: Iterable[Outbox], sent_at: datetime) -> None:
        for row in rows:
            self.metrics.delivery_seconds.labels(channel=row.channel).observe(
                (sent_at - row.created_at).total_seconds())

    async def _recent_sends(self, rows: list[Outbox], now: datetime
                            ) -> dict[tuple[str, str], list[datetime]]:
        """What pacing needs, for the batch's paced recipients: their sends within the
        longest window (one query for the batch; updated in memory as rows go out)."""
        windows: dict[tuple[str, str], float] = {}
        for row in rows:
            channel = self.channels.get(row.channel)
            seconds = (max((s for _, s in channel.pace_limits(row.user_id)), default=0)
                       if isinstance(channel, Paced) else 0)
            if seconds:
                windows[(row.channel, row.user_id)] = seconds
        recent: dict[tuple[str, str], list[datetime]] = {key: [] for key in windows}
        if not windows:
            return recent
        found = await Outbox.filter(
            status="sent", channel__in={c for c, _ in windows},
            user_id__in={u for _, u in windows},
            sent_at__gt=now - timedelta(seconds=max(windows.values()))) \
            .values_list("channel", "user_id", "sent_at")
        self._count(1)
        for channel, user_id, sent_at in found:
            if (channel, user_id) in recent:
                recent[(channel, user_id)].append(sent_at)
        return recent

    async def _deliver_batch(self, batch: list[Outbox], older: Mapping[Key, int],
                             older_due: Mapping[Key, datetime]) -> int:
        """Deliver a claimed batch recipient by recipient, each in its own order; the most
        urgent recipient first. A recipient whose older row is not ours (pending elsewhere
        or waiting for a retry; `older` from the claim) keeps its rows back: they are
        released, not due before the soonest of the recipient's other pending rows is
        (`older_due`; otherwise every flush of a burst to a paced member claimed all the
        rows queued behind its waiting one again). Rows to a channel in our own database go
        first, all in one transaction."""
        groups: dict[Key, list[Outbox]] = {}
        for row in sorted(batch, key=lambda r: r.id):
            groups.setdefault((row.channel, row.user_id), []).append(row)
        ready: list[list[Outbox]] = []
        held: dict[datetime | None, list[int]] = {}
        now = utcnow()
        waits = self._waits
        for key, rows in groups.items():
            if older.get(key, rows[0].id) < rows[0].id:
                # behind an older row: it waits too, as long as that one is known to wait
                wait = max(waits.get(key) or now, older_due.get(key) or now)
                held.setdefault(wait if wait > now else None, []).extend(r.id for r in rows)
            else:
                ready.append(rows)
        for until, ids in held.items():
            await (self.leases.release(ids, next_attempt_at=until) if until
                   else self.leases.release(ids))
        ready.sort(key=lambda rows: min((r.priority, r.id) for r in rows))
        sent = 0
        for name in dict.fromkeys(rows[0].channel for rows in ready):
            channel = self.channels.get(name)
            if isinstance(channel, InDatabase):
                rows = [row for rows in ready if rows[0].channel == name for row in rows]
                if await self._deliver_in_database(name, channel, rows):
                    sent += len(rows)
                    ready = [rows for rows in ready if rows[0].channel != name]
        recent = await self._recent_sends([rows[0] for rows in ready], utcnow())
        queue = [row for rows in ready for row in rows]
        place = {row.id: i for i, row in enumerate(queue)}
        lost: set[int] = set()
        done: set[int] = set()
        marks = _GroupMark(self._mark_sent)  # the workers' sent marks, written together

        async def recipient(rows: list[Outbox]) -> None:
            nonlocal sent, lost
            for i, row in enumerate(rows):
                if row.id not in lost and not self.leases.fresh(row):
                    # a slow batch: renew every row still to go in one statement, and the
                    # rows sent whose mark failed (still ours to mark: taken over, they
                    # would go again)
                    left = [r for r in queue[place[row.id]:]
                            if r.id not in lost and r.id not in done]
                    unmarked = [r for r, _ in self._unmarked.values()]
                    kept = {r.id for r in await self.leases.renew([*left, *unmarked],
                                                                  status="pending")}
                    lost |= {r.id for r in left if r.id not in kept}
                if row.priority != URGENT:
                    await self.foreground.wait_turn()  # people's events first
                if row.id in lost:
                    outcome, until = NOT_OURS, None
                else:
                    outcome, until = await self._deliver(
                        row, recent.get((row.channel, row.user_id)), marks)
                done.add(row.id)
                sent += outcome == SENT
                if outcome in (WAITING, NOT_OURS, UNRECORDED):
                    # later rows to this person keep their order: they wait as long
                    rest = [r.id for r in rows[i + 1:]]
                    done.update(rest)
                    if until is not None:
                        waits[(row.channel, row.user_id)] = until
                        await self.leases.release(rest, next_attempt_at=until)
                    else:
                        await self.leases.release(rest)
                    return

        # up to `concurrency` recipients at once, started most urgent first
        todo = iter(ready)

        async def worker() -> None:
            for rows in todo:
                await recipient(rows)

        workers = min(self.concurrency, len(ready))
        if workers <= 1:
            await worker()
            return sent
        results = await asyncio.gather(*(worker() for _ in range(workers)),
                                       return_exceptions=True)
        for result in results:  # every worker has finished: nothing left in flight
            if isinstance(result, BaseException):
                raise result
        return sent

    async def _deliver(self, row: Outbox, recent: list[datetime] | None = None,
                       marks: _GroupMark | None = None) -> tuple[str, datetime | None]:
        """Send one claimed row: SENT, FAILED (given up), WAITING (retry later) or NOT_OURS,
        and for WAITING when the row may go next. `recent`: the recipient's recent sends
        (pacing), kept up to date here; `marks`: the batch's group commit of sent marks."""
        if not self.leases.fresh(row) and not await self.leases.renew([row], status="pending"):
            return NOT_OURS, None
        if recent is None:
            recent = (await self._recent_sends([row], utcnow())).get((row.channel, row.user_id))
        paced_until = self._paced_until(row, recent or [], utcnow())
        if paced_until is not None:
            # not an attempt: the row simply waits for the recipient's window to open
            await self.leases.release([row.id], next_attempt_at=paced_until)
            return WAITING, paced_until
        try:
            await self._send(row)
        except RecipientError as exc:
            outcome = await self._failed(row, str(exc), retryable=False)
            await self._undeliverable(row, redact(str(exc)))
            return outcome, None
        except (ChannelAPIError, ChannelNetworkError) as exc:
            retryable = not isinstance(exc, ChannelAPIError) or exc.retryable
            return await self._failed(row, str(exc), retryable=retryable), \
                utcnow() + backoff(row.attempts + 1)
        except Exception as exc:
            log.exception("outbox %s: unexpected error via %s", row.id, row.channel)
            return await self._failed(row, repr(exc), retryable=True), \
                utcnow() + backoff(row.attempts + 1)
        # recorded before this recipient's next row goes: a crash leaves at most the rows
        # in flight unrecorded (rows finished together share one statement)
        try:
            sent_at = await (marks or _GroupMark(self._mark_sent)).mark(row)
        except Exception as exc:  # each row of the group: no traceback per row
            log.warning("outbox %s: sent via %s, its sent mark failed (%r); written before "
                        "the next claim", row.id, row.channel, exc)
            self._unmarked[row.id] = (row, utcnow())
            return UNRECORDED, None
        if recent is not None:
            recent.append(sent_at)
        self.metrics.delivery_seconds.labels(channel=row.channel).observe(
            (sent_at - row.created_at).total_seconds())
        return SENT, None

    async def _deliver_in_database(self, name: str, channel: InDatabase, rows: list[Outbox]
                                   ) -> bool:
        """Deliver rows to a channel in our own database and mark them sent, in one
        transaction: exactly once, one commit. False (nothing done) if a row is no longer
        ours or delivery failed: the rows then go one by one like any channel's."""
        sent_at = utcnow()
        try:
            async with in_transaction():
                self._count(1)
                marked = await self._sent_update([row.id for row in rows], sent_at, held=True)
                if marked != len(rows):
                    raise _NotOurs
                await channel.deliver_all([(row.id, row.user_id, _message(row.payload))
                                           for row in rows])
        except _NotOurs:
            pass
        except Exception as exc:
            log.warning("outbox: %s rows via %s not delivered as a batch (%s); one by one",
                        len(rows), name, type(exc).__name__)
        else:
            self._observe(rows, sent_at)
            return True
        finally:
            self._count(2)  # BEGIN, COMMIT (or ROLLBACK)
        return False

    def _sent_update(self, ids: list[int], sent_at: datetime, *, held: bool = False
                     ) -> Awaitable[int]:
        """Mark rows sent (one statement); returns how many were. `held`: only rows this
        sender still holds (before delivering; after, the message is out whoever holds
        the row now, and the mark must not be lost)."""
        if held:
            return _SENT_HELD(ids, sent_at, self.name)
        return _SENT(ids, sent_at)

    async def _mark_sent(self, rows: list[Outbox], sent_at: datetime) -> None:
        """The group commit's write: one statement for the rows finished together. The
        messages went out, so a failure is tried again (a MySQL deadlock victim against a
        claim, a dropped connection, a lock wait timeout); if it still fails, the caller
        keeps the rows to mark before its next claim."""
        for attempt in range(1, MARK_ATTEMPTS + 1):
            self._count(1)
            try:
                await self._sent_update([row.id for row in rows], sent_at)
                return
            except Exception as exc:  # a driver's error may come unwrapped
                if attempt == MARK_ATTEMPTS:
                    raise
                log.warning("outbox: sent mark of %s rows failed (%r); again", len(rows), exc)
                await asyncio.sleep(0 if is_deadlock(exc) else 0.05 * 2 ** attempt)

    async def _mark_unmarked(self) -> int:
        """Write the sent marks that failed in an earlier pass, before anything is claimed
        again: until then the rows are leased to this sender, and a claim of ours after
        their lease ran out would send them again. Raises if it still fails (the pass is
        then skipped); returns how many rows it marked."""
        if not self._unmarked:
            return 0
        groups: dict[datetime, list[Outbox]] = {}
        for row, sent_at in self._unmarked.values():
            groups.setdefault(sent_at, []).append(row)
        for sent_at, rows in groups.items():
            await self._mark_sent(rows, sent_at)
            for row in rows:
                del self._unmarked[row.id]
            self._observe(rows, sent_at)
        return sum(len(rows) for rows in groups.values())

    def _paced_until(self, row: Outbox, recent: list[datetime], now: datetime
                     ) -> datetime | None:
        """When the channel's per-recipient limits allow this row, if not now."""
        channel = self.channels.get(row.channel)
        if not isinstance(channel, Paced):
            return None
        for count, seconds in channel.pace_limits(row.user_id):
            window = timedelta(seconds=seconds)
            inside = sorted(t for t in recent if t > now - window)
            if len(inside) >= count:
                return inside[-count] + window
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
        message = _message(row.payload)
        if isinstance(message, CardUpdate):
            await channel.update_card(row.user_id, message, outbox_id=row.id)
        else:
            await channel.send(row.user_id, message, outbox_id=row.id)

    async def _failed(self, row: Outbox, error: str, *, retryable: bool) -> str:
        error = redact(error)  # stored and logged: never a token or a secret
        attempts = row.attempts + 1
        give_up = not retryable or attempts >= self.max_attempts
        log.warning("outbox %s to %s via %s failed (attempt %s%s): %s", row.id, row.user_id,
                    row.channel, attempts, ", giving up" if give_up else "", error)
        self.metrics.delivery_failures.labels(channel=row.channel,
                                              final=str(give_up).lower()).inc()
        await update_ids(
            Outbox, [row.id], status="failed" if give_up else "pending", attempts=attempts,
            last_error=error, locked_until=None, claimed_by=None,
            next_attempt_at=utcnow() + backoff(attempts))
        self._count(1)
        return FAILED if give_up else WAITING


@dataclass
class _Claim:
    """What one claim took: `rows` to deliver under a lease, those `delivered` in the claim
    itself (a channel in our own database) `at` its time, each recipient's `older` pending
    row left out, where the flush got to (`after`), whether the batch was `full`, and
    whether delivering inside the claim is still tried (`in_claim`)."""

    at: datetime
    rows: list[Outbox] = field(default_factory=list)
    delivered: list[Outbox] = field(default_factory=list)
    older: dict[Key, int] = field(default_factory=dict)
    older_due: dict[Key, datetime] = field(default_factory=dict)
    after: dict[int, int] = field(default_factory=dict)
    full: bool = False
    in_claim: bool = True  # deliver a channel in our own database inside the claim


class _InClaimFailed(Exception):
    """Delivering a channel's rows inside the claim failed, not as a deadlock."""


class _NotOurs(Exception):
    """Rolls back a batch delivery: a row of it is no longer this sender's."""


def _message(payload: dict[str, Any]) -> Outgoing | CardUpdate:
    if payload["type"] == "card_update":
        card = outgoing_from_dict(payload["card"])
        assert isinstance(card, OutgoingCard)
        return CardUpdate(card)
    return outgoing_from_dict(payload)


class _GroupMark:
    """Group commit of `sent` marks. A worker's row is on disk as sent before the worker
    goes on to its recipient's next row, as when each row had its own statement; rows
    that finish while a mark is being written are marked together by the next one, so
    the rows sent but not yet recorded are never more than those in flight."""

    def __init__(self, write: Callable[[list[Outbox], datetime], Awaitable[None]]) -> None:
        self._write = write
        self._queued: list[tuple[Outbox, asyncio.Future[datetime]]] = []
        self._lock = asyncio.Lock()

    async def mark(self, row: Outbox) -> datetime:
        """Record `row` as sent; returns its `sent_at` (when its group was written)."""
        done: asyncio.Future[datetime] = asyncio.get_running_loop().create_future()
        self._queued.append((row, done))
        async with self._lock:
            if not done.done():  # no one wrote it meanwhile: write all that waits
                await asyncio.sleep(0)  # after the rows that finished in the same turn
                group, self._queued = self._queued, []
                sent_at = utcnow()
                try:
                    await self._write([r for r, _ in group], sent_at)
                except BaseException as exc:
                    for _, other in group:
                        if other is not done and not other.done():
                            if isinstance(exc, Exception):
                                other.set_exception(exc)
                            else:
                                other.cancel()
                    raise
                for _, each in group:
                    if not each.done():
                        each.set_result(sent_at)
        return await done


async def enqueue_many(messages: Iterable[tuple[str, str, Outgoing | CardUpdate]], *,
                       priority: int = BULK) -> int:
    """Queue many (channel, user_id, message) in few statements; same rules as enqueue.
    Many at once is bulk (the reminder scan, digests) unless told otherwise."""
    now = utcnow()
    rows = [Outbox(channel=channel, user_id=user_id, payload=message.to_dict(),
                   next_attempt_at=now, priority=priority)
            for channel, user_id, message in messages]
    pending = _pending.get()
    if pending is not None:
        pending.extend(rows)  # after what the block queued before: each recipient's order
    else:
        await Outbox.bulk_create(rows, batch_size=BATCH)
    return len(rows)
