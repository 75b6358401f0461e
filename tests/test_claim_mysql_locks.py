"""MariaDB/MySQL: a claim's locking read locks the rows it takes and no others. A single
`SELECT … FOR UPDATE SKIP LOCKED … ORDER BY … LIMIT` reads far more rows than it takes (a
whole small table, or the whole due range of a backlog, then a filesort), and under
REPEATABLE READ InnoDB keeps a lock on every row it read until the claim commits: while
one replica's claim was open (the simulator's rows are delivered inside it), another
replica's claim found nothing. Found by review; each test failed before bot/leases.py
picked the candidates with an unlocked read and locked them by primary key."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from bot import outbox
from bot.channels.sim.adapter import SimChannel
from bot.clock import utcnow
from bot.events import CardUpdate, Outgoing, OutgoingText
from bot.leases import Leases, Take
from bot.outbox import Sender
from models.system import Outbox
from tests.outbox_support import Recording, six_sim_rows_and_one_not_due


class _HeldOnce(SimChannel):
    """The simulator; its first delivery (inside the first claim) waits for `go`."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.holding, self.go = asyncio.Event(), asyncio.Event()
        self.ids: list[list[int]] = []

    async def deliver_all(self, items: Sequence[tuple[int, str, Outgoing | CardUpdate]]
                          ) -> None:
        self.calls += 1
        self.ids.append([i for i, _, _ in items])
        await super().deliver_all(items)
        if self.calls == 1:
            self.holding.set()  # inside the claim's transaction, its rows locked
            await self.go.wait()


def _mysql(backend: str) -> None:
    if backend != "mysql":
        pytest.skip("MariaDB/MySQL keeps a lock on every row a locking read examined")


async def test_an_open_claim_leaves_a_row_due_since_to_another_replica(
        db: None, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small table: the first replica's claim reads every row (type=ALL); a row that
    falls due while the claim delivers the simulator's rows goes to the second replica."""
    _mysql(backend)
    now = [utcnow()]
    monkeypatch.setattr("bot.outbox.utcnow", lambda: now[0])
    monkeypatch.setattr("bot.leases.utcnow", lambda: now[0])
    fake, sim = Recording(), _HeldOnce()
    a = Sender({"sim": sim, "fake": fake}, max_attempts=3, poll_seconds=0.01)
    b = Sender({"sim": sim, "fake": fake}, max_attempts=3, poll_seconds=0.01)
    later = await six_sim_rows_and_one_not_due(now[0])
    first = asyncio.create_task(a.flush())
    try:
        await asyncio.wait_for(sim.holding.wait(), 30)
        now[0] += timedelta(seconds=60)  # the WeCom row is due now
        assert await asyncio.wait_for(b.flush(), 30) == 1
    finally:
        sim.go.set()
        await first
    assert fake.delivered == [later.id], "the open claim held a row it never took"
    assert await Outbox.filter(status="sent").count() == 7


async def test_an_open_claim_leaves_the_rest_of_a_backlog_to_another_replica(
        db: None, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backlog bigger than a batch: the first replica's claim reads the whole due range
    and sorts it; the second replica takes the rows after the first one's batch."""
    _mysql(backend)
    monkeypatch.setattr(outbox, "BATCH", 5)
    sim = _HeldOnce()
    a = Sender({"sim": sim}, max_attempts=3, poll_seconds=0.01)
    b = Sender({"sim": sim}, max_attempts=3, poll_seconds=0.01)
    rows = [await outbox.enqueue("sim", f"s{i}", OutgoingText("模拟器")) for i in range(12)]
    ids = [r.id for r in rows]
    first = asyncio.create_task(a.flush())
    try:
        await asyncio.wait_for(sim.holding.wait(), 30)
        assert sim.ids == [ids[:5]]
        taken = await asyncio.wait_for(b.flush(), 30)
    finally:
        sim.go.set()
    assert (await first, taken) == (5, 7)
    assert sorted(i for batch in sim.ids[1:] for i in batch) == ids[5:]
    assert await Outbox.filter(status="sent").count() == 12


async def test_an_open_inbox_like_claim_leaves_the_other_rows(
        db: None, backend: str) -> None:
    """bot/leases.py alone, as the inbox claims (one locking read by id): while one claim
    is open, another owner takes the rows after it, in order, and none of the first's."""
    _mysql(backend)
    rows = [await outbox.enqueue("fake", f"u{i}", OutgoingText(str(i))) for i in range(8)]
    ids = [r.id for r in rows]
    holding, go = asyncio.Event(), asyncio.Event()

    async def first_three(take: Take) -> list[Any]:
        got = await take(Outbox.filter(status="pending").order_by("id"), 3)
        holding.set()
        await go.wait()
        return got

    async def the_rest(take: Take) -> list[Any]:
        return await take(Outbox.filter(status="pending").order_by("id"), 10)

    a = Leases(Outbox, timedelta(seconds=60), owner="a")
    b = Leases(Outbox, timedelta(seconds=60), owner="b")
    first = asyncio.create_task(a.claim(first_three))
    try:
        await asyncio.wait_for(holding.wait(), 30)
        taken = await asyncio.wait_for(b.claim(the_rest), 30)
    finally:
        go.set()
    assert [r.id for r in await first] == ids[:3]
    assert [r.id for r in taken] == ids[3:]
    assert await Outbox.filter(claimed_by="b").count() == 5
