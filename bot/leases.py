"""Owned leases on claimed rows: the one place for the claim/renew/release logic that
replicas sharing a work table need (the outbox sender, the inbox pump).

A worker claims rows with `SELECT … FOR UPDATE SKIP LOCKED` inside one transaction and
stamps them with its name (`claimed_by`) and an expiry (`locked_until`); rows whose lease
ended are free again, so a crashed worker's rows are taken over. On MariaDB/MySQL a claim
picks its candidates with an unlocked read and locks only those, by primary key
(pick_then_lock), so an open claim holds the rows it takes and no others. A worker renews
its leases only while they are still its own, so a row taken over is never worked twice at
once. A lease more than half left needs no renewal (no query): a claimed batch is
usually done long before that.

The table needs `id`, `locked_until` (nullable datetime) and `claimed_by` (nullable text).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from bot.clock import utcnow
from bot.db import retry_deadlocks
from bot.fixed import Fixed

# a claim's locking read: take(query, limit) returns up to `limit` of the rows `query`
# (filtered and ordered, no limit; or take(claimable, limit, *its arguments)) matches that
# are free and no other transaction holds, locked until the claim commits, in order
Take = Callable[..., Awaitable[list[Any]]]
# selects the rows to claim, through `take` (one or more locking reads); may run again
Select = Callable[[Take], Awaitable[list[Any]]]


def worker_name() -> str:
    """A name unique to this process and this worker (the lease owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def update_ids(model: type[Model], ids: Iterable[int], *,
                     where: Mapping[str, Any] | None = None, **changes: Any) -> int:
    """`UPDATE … SET changes WHERE id IN ids` (and `where`), one statement; returns how many
    rows changed. Every update of a work table by ids goes through here: on MariaDB/MySQL
    it is forced to a range read of exactly those rows (FORCE INDEX (PRIMARY)). On a small
    table the optimizer would otherwise read the whole primary index (or a secondary one),
    and under REPEATABLE READ an UPDATE keeps a lock on every row it read until its
    transaction ends: a claim's stamp or a sent mark would hold rows it never touched, so
    another replica's SKIP LOCKED claim found nothing and two claims deadlocked."""
    query = model.filter(id__in=list(ids), **(where or {})).update(**changes)
    query._choose_db_if_not_chosen(True)  # the transaction's connection, if in one
    if query.capabilities.dialect != "mysql":
        return await query
    query._make_query()
    sql, params = query.query.get_parameterized_sql()
    pinned = pin_primary(sql, "mysql")
    return int((await query._db.execute_query(pinned, params))[0])


def pin_primary(sql: str, dialect: str) -> str:
    """An UPDATE by ids as update_ids sends it: on MySQL, FORCE INDEX (PRIMARY) (for a
    Fixed's rewrite)."""
    if dialect != "mysql":
        return sql
    after_table = sql.find("` ", len("UPDATE `")) + 2
    if not sql.startswith("UPDATE `") or after_table < 2:  # Tortoise changed its shape
        raise AssertionError(f"unexpected UPDATE: {sql[:80]}")
    return f"{sql[:after_table]}FORCE INDEX (PRIMARY) {sql[after_table:]}"


async def pick_then_lock(query: QuerySet[Any], limit: int,
                         count: Callable[[], None]) -> list[Any]:
    """MariaDB/MySQL's locking read for a claim: up to `limit` rows of `query` (ordered,
    no limit), locked, skipping rows another transaction holds, in `query`'s order.

    One `SELECT … FOR UPDATE SKIP LOCKED … ORDER BY … LIMIT` reads far more rows than it
    takes (a whole small table; the whole due range of a backlog, then a filesort), and
    under REPEATABLE READ InnoDB keeps a lock on every row a locking read examined until
    the transaction ends: while one replica's claim was open, another's found nothing.
    So, in the claim's transaction: an unlocked pick of candidate ids (a consistent read,
    no locks), then a locking read of just those ids by primary key, which checks
    `query`'s conditions again on the current rows (a row another claim holds is skipped,
    one it took and committed meanwhile is left out). While candidates are skipped the
    next ones are picked, until `limit` rows are locked or none are left: as with
    PostgreSQL's SKIP LOCKED, a second replica takes the rows after the first one's batch.
    The picks read the transaction's one snapshot, so the rows come in `query`'s order.

    Left: a candidate another claim took and committed between the pick and the locking
    read stays locked (REPEATABLE READ) though left out, until this claim commits; its
    owner's next update of it waits that long."""
    rows: list[Any] = []
    tried: list[Any] = []  # ids
    while len(rows) < limit:
        want = limit - len(rows)
        pick = query.exclude(id__in=tried) if tried else query
        ids = list(await pick.limit(want).values_list("id", flat=True))
        count()
        if not ids:
            break
        tried += ids
        rows += await query.filter(id__in=ids).select_for_update(skip_locked=True) \
            .force_index("PRIMARY")
        count()
        if len(ids) < want:
            break
    return rows


class Claimable:
    """A claim's query that every pass runs, sent as fixed SQL (bot.fixed, issue 19):
    `base(*args)` the rows wanted (filtered and ordered), `params(*args)` its parameters.
    MariaDB/MySQL's pick_then_lock takes `base` as a query."""

    def __init__(self, base: Callable[..., QuerySet[Any]],
                 params: Callable[..., Sequence[Any]]) -> None:
        self.base = base
        self.locked: Fixed[list[Any]] = Fixed(
            lambda now, limit, *args: base(*args).filter(free(now))
            .select_for_update(skip_locked=True).limit(limit),
            lambda now, limit, *args: [*params(*args), now, limit])


def free(now: datetime) -> Q:
    """Rows nobody holds a live lease on."""
    return Q(locked_until__isnull=True) | Q(locked_until__lt=now)


class Leases:
    """Claims, renews and releases rows of `model` for one owner; counts its statements."""

    def __init__(self, model: type[Model], lease: timedelta, *, owner: str | None = None,
                 on_query: Callable[[int], None] | None = None) -> None:
        self.model = model
        self.lease = lease
        self.owner = owner or worker_name()
        self._on_query = on_query
        # every claim's stamp (fixed SQL, issue 19)
        self._stamp_rows: Fixed[int] = Fixed(
            lambda ids, until, owner: model.filter(id__in=ids).update(
                locked_until=until, claimed_by=owner),
            lambda ids, until, owner: [until, owner, *ids], rewrite=pin_primary)

    def count(self, n: int = 1) -> None:
        if self._on_query is not None:
            self._on_query(n)

    async def claim(self, select: Select) -> list[Any]:
        """In one transaction: the rows `select` picks (from free rows, locked, skipping rows
        another transaction holds), stamped with this owner and a lease. On MySQL two claims
        (or a claim and a worker's update) can deadlock over the rows' next-key locks; the
        server rolls the victim back whole, and it is run again after a random pause."""
        return await retry_deadlocks(lambda: self._claim_once(select))

    async def _claim_once(self, select: Select) -> list[Any]:
        now = utcnow()
        until = now + self.lease

        async def take(query: QuerySet[Any] | Claimable, limit: int, *args: Any) -> list[Any]:
            mysql = self.model._meta.db.capabilities.dialect == "mysql"
            if isinstance(query, Claimable):
                if not mysql:
                    self.count()
                    return await query.locked(now, limit, *args)
                query = query.base(*args)
            query = query.filter(free(now))
            if mysql:
                return await pick_then_lock(query, limit, self.count)
            self.count()
            return list(await query.select_for_update(skip_locked=True).limit(limit))

        async with in_transaction():
            rows = await select(take)
            if rows:
                await self._stamp([r.id for r in rows], until)
                self.count()
        self.count(2)  # BEGIN, COMMIT
        for row in rows:
            row.locked_until, row.claimed_by = until, self.owner
        return rows

    async def _stamp(self, ids: list[int], until: datetime) -> None:
        """The claim's stamp on the rows it selected (inside its transaction)."""
        await self._stamp_rows(ids, until, self.owner)

    def fresh(self, row: Any, now: datetime | None = None) -> bool:
        """The lease on a row has more than half its time left (no renewal needed)."""
        left = row.locked_until - (now or utcnow()) if row.locked_until else None
        return left is not None and left > self.lease / 2

    async def renew(self, rows: Sequence[Any], **still: Any) -> list[Any]:
        """Extend the leases on `rows` that are still ours (and match `still`, e.g.
        status="pending"); return those, in order. Rows taken over are left out."""
        if not rows:
            return []
        now = utcnow()
        ids = [r.id for r in rows]
        renewed = await update_ids(self.model, ids, where={"claimed_by": self.owner, **still},
                                   locked_until=now + self.lease)
        self.count()
        if renewed == len(rows):
            ours = set(ids)
        else:
            ours = set(await self.model.filter(id__in=ids, claimed_by=self.owner, **still)
                       .values_list("id", flat=True))
            self.count()
        kept = [r for r in rows if r.id in ours]
        for row in kept:
            row.locked_until = now + self.lease
        return kept

    async def release(self, ids: Sequence[int], *, where: Mapping[str, Any] | None = None,
                      **changes: Any) -> int:
        """Give rows back (only those still ours and matching `where`), applying
        `changes` to them."""
        if not ids:
            return 0
        self.count()
        return await update_ids(self.model, ids, where={"claimed_by": self.owner, **(where or {})},
                                locked_until=None, claimed_by=None, **changes)
