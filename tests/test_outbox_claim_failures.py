"""Issue 19: delivering the simulator's rows inside the outbox claim must not weaken the
claim: a deadlock there (MySQL rolls the victim back whole) runs the claim again, never on
outside its transaction (a row sent twice); any other failure there falls back to the
lease path instead of stopping every channel's delivery. Found by review; each test failed
before the fix."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError

from bot import outbox
from bot.channels.sim.adapter import SimChannel
from bot.events import CardUpdate, Outgoing, OutgoingText
from bot.outbox import Sender
from models.system import Outbox
from tests.outbox_support import Recording


async def test_mysql_deadlock_inside_the_claims_savepoint_is_not_swallowed(
        db: None, backend: str) -> None:
    """bot/outbox.py _deliver_locked: a deadlock inside the savepoint must roll the claim
    back whole and run it again ("raise  # the claim is rolled back whole"). On MySQL the
    server has already rolled the whole transaction back (and dropped the savepoint), so
    Tortoise's ROLLBACK TO SAVEPOINT fails with a raw driver error (1305) that is not
    tortoise's OperationalError: `except Exception` takes it for a refused delivery, and the
    claim goes on *outside any transaction*: its FOR UPDATE locks are gone, another replica
    claims the same rows meanwhile, and then this claim stamps them as its own too. Both
    replicas deliver the WeCom-like row: sent twice."""
    if backend != "mysql":
        pytest.skip("MySQL/MariaDB rolls a deadlock victim back whole")
    fake = Recording()
    other_claimed = asyncio.Event()
    go = asyncio.Event()

    class DeadlockOnce(SimChannel):
        calls = 0

        async def deliver_all(self, items: Sequence[tuple[int, str, Outgoing | CardUpdate]]
                              ) -> None:
            DeadlockOnce.calls += 1
            if DeadlockOnce.calls > 1:
                await super().deliver_all(items)
                return
            await super().deliver_all(items)
            # what InnoDB does to a deadlock victim: the whole transaction is rolled back
            # (its savepoints and row locks with it), and the statement fails with 1213
            await connections.get("default").execute_script("ROLLBACK")
            go.set()
            await other_claimed.wait()  # another replica runs a pass meanwhile
            raise OperationalError(
                "(1213, 'Deadlock found when trying to get lock; try restarting transaction')")

    sim = DeadlockOnce()
    a = Sender({"sim": sim, "fake": fake}, max_attempts=3, poll_seconds=0.01)
    b = Sender({"sim": sim, "fake": fake}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue("sim", "u1", OutgoingText("模拟器"))
    await outbox.enqueue("fake", "u2", OutgoingText("企业微信"))

    async def other_replica() -> int:
        await go.wait()
        try:
            return await b.flush()
        finally:
            other_claimed.set()

    other = asyncio.create_task(other_replica())
    try:
        await a.flush()
    finally:
        other_claimed.set()
        go.set()
        await other
    await a.flush()
    await b.flush()
    fake_id = (await Outbox.get(channel="fake")).id
    assert fake.delivered == [fake_id], f"the WeCom row was sent {len(fake.delivered)} times"


async def test_a_mailbox_error_that_is_no_deadlock_does_not_stop_every_channel(
        db: None) -> None:
    """bot/outbox.py _deliver_locked re-raises every OperationalError from the simulator's
    savepoint, meaning a deadlock; any other (Tortoise maps MySQL's DataError,
    ProgrammingError and InternalError and PostgreSQL's access errors to it) is not retried
    by Leases.claim, so the claim fails and with it the whole pass, every pass: the WeCom
    row in the same claim is never sent. A refused batch is meant to fall back to the
    lease path (ec72879) and other channels to go on."""
    fake = Recording()

    class Broken(SimChannel):
        async def deliver_all(self, items: Sequence[tuple[int, str, Outgoing | CardUpdate]]
                              ) -> None:
            raise OperationalError("(1146, \"Table 'test.sim_message' doesn't exist\")")

    sender = Sender({"sim": Broken(), "fake": fake}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue("sim", "u1", OutgoingText("模拟器"))
    row = await outbox.enqueue("fake", "u2", OutgoingText("企业微信"))
    with contextlib.suppress(OperationalError):
        await sender.flush()
    assert fake.delivered == [row.id], "a broken simulator mailbox stopped WeCom delivery"


async def test_a_real_mysql_deadlock_in_the_claims_savepoint_sends_a_row_twice(
        db: None, backend: str) -> None:
    """The first test with a deadlock InnoDB really detects: the simulator's delivery inside
    the claim waits for a mailbox row another (heavier) transaction holds, which then waits
    for a row the claim holds. InnoDB rolls the claim back whole; the claim goes on (its
    savepoint's rollback fails with 1305 and is taken for a refused delivery), so another
    replica's claim takes the same rows before this one stamps them, and both send the
    WeCom row."""
    if backend != "mysql":
        pytest.skip("MySQL/MariaDB rolls a deadlock victim back whole")
    from tortoise.transactions import in_transaction

    from models.system import SimMessage

    x = await SimMessage.create(user_id="ux", direction="out", payload={"t": "x"})
    y = await SimMessage.create(user_id="uy", direction="out", payload={"t": "y"})
    a_has_x, b_has_y, c_go, c_done = (asyncio.Event() for _ in range(4))
    fake = Recording()

    class Crossing(SimChannel):
        calls = 0

        async def deliver_all(self, items: Sequence[tuple[int, str, Outgoing | CardUpdate]]
                              ) -> None:
            await super().deliver_all(items)
            Crossing.calls += 1
            if Crossing.calls > 1:
                return
            await SimMessage.filter(id=x.id).update(user_id="a")
            a_has_x.set()
            await b_has_y.wait()
            await SimMessage.filter(id=y.id).update(user_id="a")  # waits; then the victim

    async def heavier_transaction() -> None:
        async with in_transaction():
            # more undo than the claim: InnoDB picks the claim as the victim
            await SimMessage.bulk_create([SimMessage(user_id="w", direction="in", payload={})
                                          for _ in range(200)])
            await SimMessage.filter(id=y.id).update(user_id="b")
            b_has_y.set()
            await a_has_x.wait()
            await SimMessage.filter(id=x.id).update(user_id="b")

    sim = Crossing()
    a = Sender({"sim": sim, "fake": fake}, max_attempts=3, poll_seconds=0.01)
    c = Sender({"sim": sim, "fake": fake}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue("sim", "u1", OutgoingText("模拟器"))
    fake_row = await outbox.enqueue("fake", "u2", OutgoingText("企业微信"))

    async def other_replica() -> None:
        await c_go.wait()
        try:
            await c.flush()
        finally:
            c_done.set()

    stamp = a.leases._stamp

    async def stamp_after_the_other(*args: Any) -> None:
        # the moment between the claim's select and its stamp, widened for the test
        if not c_go.is_set():
            c_go.set()
            await c_done.wait()
        await stamp(*args)

    a.leases._stamp = stamp_after_the_other  # type: ignore[method-assign]
    b = asyncio.create_task(heavier_transaction())
    other = asyncio.create_task(other_replica())
    try:
        await asyncio.wait_for(a.flush(), 30)
    finally:
        c_go.set()
        await asyncio.wait_for(other, 30)
        await asyncio.wait_for(b, 30)
    await a.flush()
    await c.flush()
    assert fake.delivered == [fake_row.id], \
        f"the WeCom row was sent {len(fake.delivered)} times"
