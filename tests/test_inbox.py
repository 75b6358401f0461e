"""The durable inbox (issue 13): events stored before the ack are handled exactly once,
by whichever replica claims them; a replica that dies leaves claims another takes over;
a late attempt of a handled event changes nothing. Two Inbox objects on one database
stand for two replicas (each has its own lease name)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.sim import inbound as sim
from bot.events import IncomingEvent, event_from_dict, event_to_dict
from bot.inbox import BATCH, BadEvent, Inbox, InboxClosed
from models.review import Draft
from models.system import InboundEvent, Outbox
from tests.conftest import Harness

DRAFTS = 8
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # a lease that has ended


def _inbox(bot: Harness, handle: Any = None, lease: float = 30.0) -> Inbox:
    # passes are started by hand here, so spawned ones are closed unrun
    return Inbox(handle or bot.dispatcher.feed, spawn=lambda coro: coro.close(),
                 lease_seconds=lease, poll_seconds=60, max_attempts=3)


@pytest.fixture
async def replicas(bot: Harness) -> AsyncIterator[tuple[Inbox, Inbox]]:
    a, b = _inbox(bot), _inbox(bot)
    a.start()
    b.start()
    yield a, b
    await a.stop()
    await b.stop()


def events() -> list[IncomingEvent]:
    drafts = [sim.text_event("wangwu", f"投稿 黔江文旅\n稿件{i}\n正文{i}。", f"d{i}")
              for i in range(DRAFTS)]
    helps = [sim.text_event(user, "帮助", f"h-{user}") for user in ("zhangming", "liufang")]
    strangers = [sim.text_event(f"stranger{i}", "帮助", f"s{i}") for i in range(BATCH)]
    return drafts + helps + strangers


async def accept_all(inbox: Inbox, batch: list[IncomingEvent]) -> None:
    await asyncio.gather(*(inbox.accept(e) for e in batch))


async def assert_each_handled_once(count: int) -> None:
    assert await InboundEvent.filter(status="pending").count() == 0
    assert await InboundEvent.filter(status="done").count() == count
    titles = [d.title for d in await Draft.all()]
    assert sorted(titles) == sorted(f"稿件{i}" for i in range(DRAFTS))
    for i in range(BATCH):  # one answer each
        assert await Outbox.filter(user_id=f"stranger{i}").count() == 1


def test_an_event_survives_its_round_trip() -> None:
    original = sim.text_event("wangwu", "投稿 黔江文旅\n标题\n正文", "e1")
    assert event_from_dict(event_to_dict(original)) == original


async def test_two_replicas_handle_each_event_once(bot: Harness,
                                                   replicas: tuple[Inbox, Inbox]) -> None:
    a, b = replicas
    batch = events()
    await accept_all(a, batch)
    # a platform retry of a stored event is acknowledged and stored once
    await b.accept(batch[0])
    assert await InboundEvent.all().count() == len(batch)
    # neither replica handles an event before the other has one in hand: on a loaded
    # machine one pump could otherwise claim and handle everything before the other's
    # first claim, and "both took part" would rest on timing
    started: set[str] = set()
    both = asyncio.Event()

    def meeting(name: str) -> Any:
        async def handle(event: IncomingEvent) -> bool:
            started.add(name)
            if len(started) == 2:
                both.set()
            await both.wait()
            return await bot.dispatcher.feed(event)
        return handle

    async def pump(inbox: Inbox) -> int:
        try:
            return await inbox.pump()
        finally:
            both.set()  # a pump that ends with nothing in hand releases the other

    a.handle, b.handle = meeting("a"), meeting("b")
    handled = await asyncio.gather(pump(a), pump(b))
    assert sum(handled) == len(batch) and all(handled)  # both took part
    await assert_each_handled_once(len(batch))
    assert await a.pump() == 0 and await b.pump() == 0


async def test_a_dead_replicas_claims_are_taken_over_once(
        bot: Harness, replicas: tuple[Inbox, Inbox]) -> None:
    a, b = replicas
    batch = events()
    await accept_all(a, batch)
    claimed = await a._claim(0)  # then a "dies" holding them
    assert len(claimed) == BATCH
    first = await b.pump()
    assert first == len(batch) - BATCH  # the held ones wait for the lease
    # the lease ends (time passes): b takes them over
    await InboundEvent.filter(claimed_by=a.name).update(locked_until=LONG_AGO)
    assert await b.pump() == BATCH
    await assert_each_handled_once(len(batch))
    # a comes back and carries on with what it had claimed: nothing happens twice
    assert await a._handle_batch(claimed) == 0
    for row in claimed:  # even past the lease check, the dispatcher refuses a second time
        assert await bot.dispatcher.feed(event_from_dict(row.payload or {})) is False
    await assert_each_handled_once(len(batch))


async def test_one_senders_events_keep_their_order(bot: Harness,
                                                   replicas: tuple[Inbox, Inbox]) -> None:
    a, b = replicas
    await accept_all(a, [sim.text_event("wangwu", "帮助", "first")])
    await accept_all(a, [sim.text_event("wangwu", "帮助", "second")])
    held = await a._claim(0)
    assert [r.event_id for r in held] == ["first", "second"]
    await InboundEvent.filter(event_id="second").update(claimed_by=None, locked_until=None)
    assert await b.pump() == 0  # "second" waits while "first" is pending elsewhere
    assert await a._handle_batch(held[:1]) == 1
    assert await b.pump() == 1


async def test_a_failed_attempt_is_retried_after_a_backoff(bot: Harness) -> None:
    failures = [RuntimeError("database went away")]

    async def flaky(event: IncomingEvent) -> bool:
        if failures:
            raise failures.pop()
        return await bot.dispatcher.feed(event)

    inbox = _inbox(bot, flaky)
    inbox.start()
    try:
        await inbox.accept(sim.text_event("wangwu", "帮助", "e1"))
        assert await inbox.pump() == 0
        row = await InboundEvent.get(event_id="e1")
        assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
        assert await inbox.pump() == 0  # not before its backoff
        await InboundEvent.filter(id=row.id).update(locked_until=LONG_AGO)
        assert await inbox.pump() == 1
        assert (await InboundEvent.get(id=row.id)).status == "done"
    finally:
        await inbox.stop()


async def test_what_cannot_be_stored_is_refused(bot: Harness) -> None:
    inbox = _inbox(bot)
    with pytest.raises(InboxClosed):
        await inbox.accept(sim.text_event("wangwu", "帮助"))
    inbox.start()
    try:
        for event in (sim.text_event("x" * 65, "帮助"), sim.text_event("wangwu", "\udcff"),
                      sim.text_event("wangwu", "a\x00b"), sim.text_event("wangwu", "a", "e" * 192)):
            with pytest.raises(BadEvent):
                await inbox.accept(event)
    finally:
        await inbox.stop()
    assert await InboundEvent.all().count() == 0


async def until(check: Any) -> None:
    """Wait for a condition (a bound, not a pause)."""
    async with asyncio.timeout(10):
        while not check():
            await asyncio.sleep(0.01)


def _long_event(bot: Harness) -> tuple[asyncio.Event, asyncio.Event, list[str],
                                        Callable[[IncomingEvent], Awaitable[bool]]]:
    """A handler that holds the event "long" until `release` is set (`started` says it
    began) and records the order events were handled in."""
    release, started, handled = asyncio.Event(), asyncio.Event(), []

    async def handle(event: IncomingEvent) -> bool:
        if event.event_id == "long":
            started.set()
            await release.wait()
        handled.append(event.event_id)
        return await bot.dispatcher.feed(event)

    return release, started, handled, handle


async def test_a_long_event_does_not_hold_up_the_next(bot: Harness) -> None:
    """Issue 19: while one event takes long (a relay to every unit), an event from someone
    else is handled by a second pass at once, not after it; a later event from the same
    sender still waits for the long one and follows it without waiting for the poll."""
    from bot.tasks import BackgroundTasks

    release, started, handled, handle = _long_event(bot)
    tasks = BackgroundTasks()
    inbox = Inbox(handle, spawn=tasks.spawn, lease_seconds=30, poll_seconds=60,
                  max_attempts=3)
    inbox.start()
    try:
        await inbox.accept(sim.text_event("liufang", "帮助", "long"))
        await until(started.is_set)
        await inbox.accept(sim.text_event("liufang", "帮助", "later"))
        await inbox.accept(sim.text_event("zhangming", "帮助", "quick"))
        await until(lambda: "quick" in handled)
        assert handled == ["quick"]
        release.set()
        await until(lambda: len(handled) == 3)
        assert handled == ["quick", "long", "later"]
    finally:
        release.set()
        await inbox.stop()
        await tasks.drain(10)


async def test_an_event_held_back_while_the_earlier_one_ends_is_not_left_to_the_poll(
        bot: Harness) -> None:
    """Found by review: a second pass that finds an event waiting for its sender's earlier
    one releases it and raises a flag for the pass handling the earlier one to look again.
    If that pass finished the earlier event and looked at the flag while the release was
    under way, nobody looked again: the event waited for the poll (here an hour)."""
    from bot.tasks import BackgroundTasks

    release, started, handled, handle = _long_event(bot)
    tasks = BackgroundTasks()
    inbox = Inbox(handle, spawn=tasks.spawn, lease_seconds=30, poll_seconds=3600,
                  max_attempts=3)
    give_back = inbox._release

    async def release_once_the_first_pass_is_over(rows: list[InboundEvent]) -> None:
        # the second pass is releasing "later": meanwhile "long" ends and its pass returns
        release.set()
        await until(lambda: "long" in handled and inbox._passes == 1)
        await give_back(rows)

    inbox._release = release_once_the_first_pass_is_over  # type: ignore[method-assign]
    inbox.start()
    try:
        await inbox.accept(sim.text_event("liufang", "帮助", "long"))
        await until(started.is_set)
        await inbox.accept(sim.text_event("liufang", "帮助", "later"))
        await until(lambda: inbox._passes == 0)
        assert handled == ["long", "later"], "the held-back event waits for the poll"
    finally:
        release.set()
        await inbox.stop()
        await tasks.drain(10)
