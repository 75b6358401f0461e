"""The group commit of sent marks (bot/outbox.py _GroupMark): the messages of a group went
out, so a failure of its one mark statement must not leave the rows to be sent again when
their leases run out. Found by review: a mark that failed once (not a deadlock) failed the
pass, and every row of the group went out a second time after the lease."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from tortoise.exceptions import OperationalError

from bot import outbox
from bot.clock import utcnow
from bot.events import Outgoing, OutgoingText
from bot.outbox import Sender
from models.system import Outbox
from tests.outbox_support import Recording


def _failing_marks(sender: Sender, failures: int) -> list[int]:
    """The next `failures` sent marks after a delivery fail as a lost connection does;
    returns the ids each failed mark carried."""
    update: Callable[..., Awaitable[int]] = sender._sent_update
    failed: list[int] = []

    def flaky(ids: list[int], sent_at: datetime, *, held: bool = False) -> Awaitable[int]:
        if not held and len(failed) < failures:
            failed.append(len(ids))

            async def lost() -> int:
                raise OperationalError("(2013, 'Lost connection to server during query')")
            return lost()
        return update(ids, sent_at, held=held)

    sender._sent_update = flaky  # type: ignore[method-assign]
    return failed


async def _lease_runs_out() -> None:
    await Outbox.filter(status="pending").update(locked_until=utcnow() - timedelta(seconds=1))


async def _queue() -> list[int]:
    """Three people, two messages each."""
    return [(await outbox.enqueue("fake", f"u{i % 3}", OutgoingText(f"第 {i} 条"))).id
            for i in range(6)]


async def test_a_mark_that_fails_once_is_written_again(db: None) -> None:
    fake = Recording()
    sender = Sender({"fake": fake}, max_attempts=3, poll_seconds=0.01, concurrency=3)
    ids = await _queue()
    failed = _failing_marks(sender, 1)
    assert await sender.flush() == 6
    assert failed, "no mark failed: the test tests nothing"
    assert await Outbox.filter(status="sent", attempts=1).count() == 6
    await _lease_runs_out()
    other = Sender({"fake": fake}, max_attempts=3, poll_seconds=0.01)
    await other.flush()
    assert sorted(fake.delivered) == ids, "a message went out twice"


@pytest.mark.parametrize("fails", [outbox.MARK_ATTEMPTS, outbox.MARK_ATTEMPTS + 1])
async def test_a_mark_that_keeps_failing_is_written_before_the_next_claim(
        db: None, fails: int) -> None:
    """The database stays away for the whole pass (and, the second time, for the first try
    of the next pass): the rows sent are kept and marked first thing when it is back; each
    person's next message waits for the mark; nothing goes twice."""
    fake = Recording()
    sender = Sender({"fake": fake}, max_attempts=3, poll_seconds=0.01, concurrency=3)
    ids = await _queue()
    _failing_marks(sender, fails)
    await sender.flush()  # the pass itself goes on; what it could not record waits
    assert len(fake.delivered) == 3 and await Outbox.filter(status="sent").count() == 0
    while await Outbox.filter(status="pending").exists():
        try:
            await sender.flush()
        except OperationalError:
            assert fails > outbox.MARK_ATTEMPTS  # the next pass claims nothing meanwhile
            assert len(fake.delivered) == 3
    await _lease_runs_out()
    other = Sender({"fake": fake}, max_attempts=3, poll_seconds=0.01)
    await other.flush()
    assert sorted(fake.delivered) == ids, "a message went out twice"
    assert await Outbox.filter(status="sent", attempts=1).count() == 6


async def test_a_row_left_unmarked_is_marked_before_the_same_pass_claims_again(
        db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass goes on claiming while its batches are full (a backlog); the row whose mark
    failed must be marked before the pass's next claim, not only at the next pass: its
    lease may run out meanwhile (a long backlog outlasts it), and the next claim takes it
    again. Here a person's earlier reminder goes with their card (the earlier-rows read),
    so no `after` of the pass leaves it out."""
    monkeypatch.setattr(outbox, "BATCH", 2)
    reminder = (await outbox.enqueue("fake", "u0", OutgoingText("提醒"),
                                     priority=outbox.BULK)).id
    card = (await outbox.enqueue("fake", "u0", OutgoingText("卡片"),
                                 priority=outbox.URGENT)).id
    other = (await outbox.enqueue("fake", "u1", OutgoingText("另一人"),
                                  priority=outbox.URGENT)).id

    class _Slow(Recording):
        async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
            await super().send(user_id, message, outbox_id=outbox_id)
            if outbox_id == other:  # the backlog took longer than the lease
                await _lease_runs_out()

    fake = _Slow()
    sender = Sender({"fake": fake}, max_attempts=3, poll_seconds=0.01)
    _failing_marks(sender, outbox.MARK_ATTEMPTS)  # the reminder's mark, every try
    await sender.flush()
    while await Outbox.filter(status="pending").exists():
        await sender.flush()
    assert sorted(fake.delivered) == sorted([reminder, card, other]), \
        "a message went out twice"


async def test_a_row_left_unmarked_keeps_its_lease_while_the_batch_goes_on(db: None) -> None:
    """A slow batch renews the leases of the rows still to go; the row whose mark failed
    is still this sender's to mark, so it is renewed with them: another replica must not
    take it over and send it again while the batch goes on."""
    unmarked = (await outbox.enqueue("fake", "u0", OutgoingText("先发"))).id
    slow = (await outbox.enqueue("fake", "u1", OutgoingText("慢"))).id
    await outbox.enqueue("fake", "u1", OutgoingText("再慢"))
    fake = Recording()
    other = Sender({"fake": fake}, max_attempts=3, poll_seconds=0.01)
    first_lease: list[datetime] = []

    class _Slow(Recording):
        async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
            fake.delivered.append(outbox_id)
            if outbox_id == unmarked:
                row = await Outbox.get(id=outbox_id)
                assert row.locked_until is not None
                first_lease.append(row.locked_until)
            if outbox_id == slow:
                # the batch outlasts the lease it was claimed with (renewed before this
                # send, being more than half spent); another replica then looks
                while utcnow() <= first_lease[0]:
                    await asyncio.sleep(0.01)
                await other.flush()

    sender = Sender({"fake": _Slow()}, max_attempts=3, poll_seconds=0.01, lease_seconds=1.0)
    _failing_marks(sender, outbox.MARK_ATTEMPTS)  # the first row's mark, every try
    await sender.flush()
    while await Outbox.filter(status="pending").exists():
        await sender.flush()
    assert sorted(fake.delivered).count(unmarked) == 1, "a message went out twice"


async def test_a_row_left_unmarked_is_marked_before_the_sender_stops(db: None) -> None:
    """A stop (a deploy, a restart) asked during the pass that could not record a send: the
    sender marks it before it returns, or the row went out again after its lease."""
    ids = [(await outbox.enqueue("fake", "u0", OutgoingText("停机前"))).id]
    fake = Recording()

    class _Stopping(Recording):
        async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
            fake.delivered.append(outbox_id)
            sender.stop()

    sender = Sender({"fake": _Stopping()}, max_attempts=3, poll_seconds=0.01)
    _failing_marks(sender, outbox.MARK_ATTEMPTS)
    await sender.run()
    await _lease_runs_out()
    await Sender({"fake": fake}, max_attempts=3, poll_seconds=0.01).flush()
    assert fake.delivered == ids, "a message went out twice"
