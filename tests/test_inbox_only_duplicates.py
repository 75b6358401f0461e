"""The inbox skips one thing only: a platform's retry of an event it has stored. MySQL's
INSERT IGNORE (Tortoise's ignore_conflicts there) also turned real errors into warnings:
an event the table cannot hold was stored altered and acknowledged. Found while fixing
the same in the simulator's mailbox; failed on MariaDB before. (Narrow: Tortoise checks
lengths and writes JSON as ASCII, so it takes a schema with a narrower character set.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tortoise import connections

from bot.channels.sim import inbound as sim
from bot.inbox import Inbox
from models.system import InboundEvent
from tests.conftest import Harness


def _inbox(bot: Harness) -> Inbox:
    # passes are started by hand here, so spawned ones are closed unrun
    return Inbox(bot.dispatcher.feed, spawn=lambda coro: coro.close(), lease_seconds=30,
                 poll_seconds=60, max_attempts=3)


@pytest.fixture
async def utf8mb3_user_id(bot: Harness, backend: str) -> AsyncIterator[None]:
    """inbound_event.user_id as a database set up with `?charset=utf8` has it: no emoji."""
    if backend != "mysql":
        pytest.skip("only MySQL's INSERT IGNORE turns errors into warnings")
    conn = connections.get("default")
    _, rows = await conn.execute_query("SHOW CREATE TABLE inbound_event")
    column = next(line.strip().rstrip(",") for line in
                  list(rows[0].values())[1].splitlines() if line.strip().startswith("`user_id`"))
    await conn.execute_script(
        "ALTER TABLE inbound_event MODIFY user_id VARCHAR(64) CHARACTER SET utf8mb3 NOT NULL")
    try:
        yield
    finally:
        await conn.execute_script(f"ALTER TABLE inbound_event MODIFY {column}")


async def test_an_event_the_table_cannot_hold_is_refused_not_stored_altered(
        bot: Harness, utf8mb3_user_id: None) -> None:
    inbox = _inbox(bot)
    inbox.start()
    try:
        with pytest.raises(RuntimeError):
            await inbox.accept(sim.text_event("访客🙂", "帮助", "e1"))
        assert await InboundEvent.filter(event_id="e1").count() == 0, "stored altered"
    finally:
        await inbox.stop()


async def test_a_retry_in_a_batch_with_new_events_stores_each_once(bot: Harness) -> None:
    inbox = _inbox(bot)
    inbox.start()
    try:
        await inbox.accept(sim.text_event("liufang", "帮助", "e1"))
        # committed together: the retry of e1 and two new events
        await asyncio.gather(*(inbox.accept(sim.text_event("liufang", "帮助", e))
                               for e in ("e1", "e2", "e3")))
        assert sorted(await InboundEvent.all().values_list("event_id", flat=True)) == \
            ["e1", "e2", "e3"]
    finally:
        await inbox.stop()
