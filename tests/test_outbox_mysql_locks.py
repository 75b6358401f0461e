"""MariaDB/MySQL: an UPDATE of outbox rows by ids locks those rows and no others. Unpinned,
on a small table the optimizer reads the whole primary index for an `id IN (…)` that
covers most of it, and under REPEATABLE READ the statement keeps a lock on every row it
read until its transaction ends: another replica's SKIP LOCKED claim then finds nothing.
Found by review; failed before every outbox update by ids went through leases.update_ids."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest
from tortoise.exceptions import OperationalError

from bot.channels.sim.adapter import SimChannel
from bot.clock import utcnow
from bot.events import CardUpdate, Outgoing
from bot.outbox import Sender
from models.system import Outbox
from tests.outbox_support import Recording, six_sim_rows_and_one_not_due


async def test_an_open_sent_mark_leaves_other_rows_to_other_replicas(
        db: None, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator's rows go by the lease path (their delivery inside the claim failed
    once): their sent mark and their delivery share a transaction. While it is open,
    another replica's claim must still take the row that became due meanwhile."""
    if backend != "mysql":
        pytest.skip("MariaDB/MySQL keeps locks on every row an UPDATE read")
    now = [utcnow()]
    monkeypatch.setattr("bot.outbox.utcnow", lambda: now[0])
    monkeypatch.setattr("bot.leases.utcnow", lambda: now[0])
    marked, go = asyncio.Event(), asyncio.Event()

    class RefusesOnceThenSlow(SimChannel):
        calls = 0

        async def deliver_all(self, items: Sequence[tuple[int, str, Outgoing | CardUpdate]]
                              ) -> None:
            RefusesOnceThenSlow.calls += 1
            if RefusesOnceThenSlow.calls == 1:
                raise OperationalError("refused inside the claim")  # then: by lease
            await super().deliver_all(items)
            marked.set()  # inside the mark's transaction, the rows marked
            await go.wait()

    fake = Recording()
    sim = RefusesOnceThenSlow()
    a = Sender({"sim": sim, "fake": fake}, max_attempts=3, poll_seconds=0.01)
    b = Sender({"sim": sim, "fake": fake}, max_attempts=3, poll_seconds=0.01)
    later = await six_sim_rows_and_one_not_due(now[0])
    first = asyncio.create_task(a.flush())
    try:
        await asyncio.wait_for(marked.wait(), 30)
        now[0] += timedelta(seconds=60)  # the WeCom row is due now
        await asyncio.wait_for(b.flush(), 30)
    finally:
        go.set()
        await first
    assert fake.delivered == [later.id], "the open sent mark held a row it never touched"
    assert await Outbox.filter(status="sent").count() == 7
