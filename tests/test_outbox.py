"""The outbox: retries with backoff, per-recipient order, at most once per row."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import outbox
from bot.channels.sim.adapter import SimChannel
from bot.clock import utcnow
from bot.errors import ChannelAPIError, ChannelNetworkError
from bot.events import (
    Button,
    CardUpdate,
    Outgoing,
    OutgoingCard,
    OutgoingText,
    outgoing_from_dict,
)
from bot.outbox import Sender
from models.system import Outbox, SimMessage


class FlakyChannel:
    """Fails the first `failures` sends, then records deliveries."""

    name = "flaky"

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ChannelNetworkError("down")
        self.delivered: list[tuple[str, str]] = []

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error
        assert isinstance(message, OutgoingText)
        self.delivered.append((user_id, message.text))

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        raise AssertionError("not used")


async def make_due() -> None:
    await Outbox.filter(status="pending").update(next_attempt_at=utcnow())


async def test_outage_delays_but_never_drops_or_duplicates(db: None) -> None:
    channel = FlakyChannel(failures=3)
    sender = Sender({"flaky": channel}, max_attempts=10, poll_seconds=0.01)
    await outbox.enqueue("flaky", "u1", OutgoingText("one"))
    await outbox.enqueue("flaky", "u1", OutgoingText("two"))
    for _ in range(5):
        await sender.flush()
        await make_due()
    assert channel.delivered == [("u1", "one"), ("u1", "two")]
    row = (await Outbox.all().order_by("id"))[0]
    assert (row.status, row.attempts) == ("sent", 4)


async def test_backoff_waits_before_retrying(db: None) -> None:
    channel = FlakyChannel(failures=1)
    sender = Sender({"flaky": channel}, max_attempts=10, poll_seconds=0.01)
    await outbox.enqueue("flaky", "u1", OutgoingText("one"))
    assert await sender.flush() == 0
    assert await sender.flush() == 0  # not due yet
    row = await Outbox.get()
    assert row.next_attempt_at > utcnow() + timedelta(seconds=1)
    await make_due()
    assert await sender.flush() == 1


async def test_order_kept_per_recipient_while_others_proceed(db: None) -> None:
    channel = FlakyChannel(failures=1)
    sender = Sender({"flaky": channel}, max_attempts=10, poll_seconds=0.01)
    await outbox.enqueue("flaky", "u1", OutgoingText("first"))
    await outbox.enqueue("flaky", "u1", OutgoingText("second"))
    await outbox.enqueue("flaky", "u2", OutgoingText("other"))
    await sender.flush()
    assert channel.delivered == [("u2", "other")]
    await make_due()
    await sender.flush()
    assert channel.delivered[1:] == [("u1", "first"), ("u1", "second")]


async def test_permanent_error_gives_up_without_blocking_later(db: None) -> None:
    channel = FlakyChannel(failures=1, error=ChannelAPIError(81013, "user invalid",
                                                             retryable=False))
    sender = Sender({"flaky": channel}, max_attempts=10, poll_seconds=0.01)
    await outbox.enqueue("flaky", "u1", OutgoingText("lost cause"))
    await outbox.enqueue("flaky", "u1", OutgoingText("next"))
    await sender.flush()
    rows = await Outbox.all().order_by("id")
    assert [r.status for r in rows] == ["failed", "sent"]
    assert "81013" in rows[0].last_error


async def test_gives_up_after_max_attempts(db: None) -> None:
    channel = FlakyChannel(failures=100)
    sender = Sender({"flaky": channel}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue("flaky", "u1", OutgoingText("x"))
    for _ in range(4):
        await sender.flush()
        await make_due()
    row = await Outbox.get()
    assert (row.status, row.attempts) == ("failed", 3)


async def test_claimed_row_is_not_sent_twice(db: None) -> None:
    """A row claimed by another sender (its lease live) is left alone; after the lease
    expires (that sender crashed) it is sent, and the simulator keeps one copy."""
    sender = Sender({"sim": SimChannel()}, max_attempts=3, poll_seconds=0.01)
    row = await outbox.enqueue("sim", "u1", OutgoingText("hello"))
    await Outbox.filter(id=row.id).update(locked_until=utcnow() + timedelta(seconds=30))
    assert await sender.flush() == 0
    # the crashed sender had delivered before dying: the retry must not duplicate it
    await SimChannel().send("u1", OutgoingText("hello"), outbox_id=row.id)
    await Outbox.filter(id=row.id).update(locked_until=utcnow() - timedelta(seconds=1))
    assert await sender.flush() == 1
    assert await SimMessage.filter(user_id="u1").count() == 1


async def test_unknown_channel_fails_the_row(db: None) -> None:
    sender = Sender({}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue("nowhere", "u1", OutgoingText("x"))
    await sender.flush()
    assert (await Outbox.get()).status == "failed"


class CountingChannel:
    """Records every delivery; a slow await lets concurrent senders interleave."""

    name = "count"

    def __init__(self) -> None:
        self.delivered: list[int] = []

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        await asyncio.sleep(0)
        self.delivered.append(outbox_id)

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        raise AssertionError("not used")


async def test_two_senders_deliver_each_row_exactly_once(db: None) -> None:
    """Replicas share the outbox: SKIP LOCKED claims plus owned leases (issue 7)."""
    channel = CountingChannel()
    first = Sender({"count": channel}, max_attempts=3, poll_seconds=0.01)
    second = Sender({"count": channel}, max_attempts=3, poll_seconds=0.01)
    for i in range(250):
        await outbox.enqueue("count", f"u{i % 40}", OutgoingText(str(i)))
    sent = await asyncio.gather(first.flush(), second.flush(), first.flush())
    await first.flush()
    assert len(channel.delivered) == len(set(channel.delivered)) == 250
    assert sum(sent) <= 250
    assert await Outbox.filter(status="sent").count() == 250


async def test_a_lease_taken_over_is_not_sent_by_its_old_holder(db: None) -> None:
    channel = CountingChannel()
    slow = Sender({"count": channel}, max_attempts=3, poll_seconds=0.01)
    other = Sender({"count": channel}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue("count", "u1", OutgoingText("x"))
    batch = (await slow._claim_batch()).rows
    assert [r.claimed_by for r in await Outbox.all()] == [slow.name]
    # the slow sender stalls past its lease; the other takes the row over and sends it
    expired = utcnow() - timedelta(seconds=1)
    await Outbox.all().update(locked_until=expired)
    batch[0].locked_until = expired  # as the slow sender sees it once it wakes up
    assert await other.flush() == 1
    assert await slow._deliver(batch[0]) == (outbox.NOT_OURS, None)
    assert len(channel.delivered) == 1


async def test_cards_go_before_bulk_and_a_recipient_keeps_its_order(db: None) -> None:
    """Issue 19: a burst of reminders (bulk) does not hold up the review cards of others;
    one person's own rows still arrive in the order they were queued."""
    channel = CountingChannel()
    sender = Sender({"count": channel}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue_many([("count", f"admin{i}", OutgoingText(f"relay {i}"))
                               for i in range(outbox.BATCH * 2)])
    before = await outbox.enqueue("count", "admin5", OutgoingText("reminder first"))
    card = await outbox.enqueue("count", "reviewer", OutgoingText("card"),
                                priority=outbox.URGENT)
    after = await outbox.enqueue("count", "admin5", OutgoingText("card to admin5"),
                                 priority=outbox.URGENT)
    assert await sender.flush() == outbox.BATCH * 2 + 3
    assert channel.delivered[0] == card.id
    order = channel.delivered
    assert order.index(before.id) < order.index(after.id) < outbox.BATCH
    assert len(order) == len(set(order))


async def test_earlier_rows_are_claimed_per_recipient_across_channels(db: None) -> None:
    """The query for earlier rows matches channels and users apart: a row to a user on
    another channel than the one claimed for is no recipient of the batch (it goes later,
    in its own order)."""
    count, other = CountingChannel(), CountingChannel()
    sender = Sender({"count": count, "other": other}, max_attempts=3, poll_seconds=0.01)
    before = await outbox.enqueue("other", "a", OutgoingText("reminder"), priority=outbox.BULK)
    await outbox.enqueue("count", "a", OutgoingText("digest"), priority=outbox.BULK)
    await outbox.enqueue_many([("count", "b", OutgoingText(str(i)))
                               for i in range(outbox.BATCH - 1)], priority=outbox.URGENT)
    card = await outbox.enqueue("other", "a", OutgoingText("card"), priority=outbox.URGENT)
    assert await sender.flush() == outbox.BATCH + 2
    assert other.delivered == [before.id, card.id]
    assert await Outbox.filter(status="sent").count() == outbox.BATCH + 2


async def test_a_burst_for_one_recipient_never_starves_others(db: None) -> None:
    """One member paced by WeCom's limit: the rest of the queue goes on meanwhile."""

    class Paced(CountingChannel):
        def pace_limits(self, user_id: str) -> list[tuple[int, float]]:
            return [(3, 60.0)]

    channel = Paced()
    sender = Sender({"count": channel}, max_attempts=3, poll_seconds=0.01)
    burst = [await outbox.enqueue("count", "busy", OutgoingText(str(i))) for i in range(250)]
    others = [await outbox.enqueue("count", f"u{i}", OutgoingText(str(i))) for i in range(20)]
    assert await sender.flush() == 3 + 20
    assert set(channel.delivered) == {r.id for r in burst[:3] + others}
    waiting = await Outbox.filter(user_id="busy", status="pending").order_by("id")
    assert all(r.next_attempt_at > utcnow() + timedelta(seconds=30) for r in waiting[:100])
    assert await sender.flush() == 0


async def test_rows_queued_behind_a_paced_row_wait_with_it(db: None) -> None:
    """A burst to one paced member arrives event by event: each flush must not claim
    again every row queued behind the one that waits for the member's window."""

    class Paced(CountingChannel):
        def pace_limits(self, user_id: str) -> list[tuple[int, float]]:
            return [(3, 60.0)]

    sender = Sender({"count": Paced()}, max_attempts=3, poll_seconds=0.01)
    for i in range(5):
        await outbox.enqueue("count", "busy", OutgoingText(str(i)))
    assert await sender.flush() == 3
    window = min(r.next_attempt_at for r in await Outbox.filter(status="pending"))
    assert window > utcnow() + timedelta(seconds=30)
    later = await outbox.enqueue("count", "busy", OutgoingText("later"))
    assert await sender.flush() == 0
    await later.refresh_from_db()
    assert later.next_attempt_at >= window  # not due before the row ahead of it
    before = sender.queries
    assert await sender.flush() == 0
    assert sender.queries - before <= 3  # BEGIN, the claim that finds nothing, COMMIT


async def test_delivery_costs_at_most_two_statements_per_message(db: None) -> None:
    """Claims, order checks and pacing are per batch; only the sent mark is per row."""

    class Paced(CountingChannel):
        def pace_limits(self, user_id: str) -> list[tuple[int, float]]:
            return [(15, 60.0), (500, 3600.0)]

    sender = Sender({"count": Paced()}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue_many([("count", f"u{i % 97}", OutgoingText(str(i)))
                               for i in range(1000)], priority=outbox.NORMAL)
    assert await sender.flush() == 1000
    assert sender.queries / 1000 <= 1.2


async def test_concurrent_sends_keep_each_recipients_order(db: None) -> None:
    """Several recipients are served at once (the platform is slow to answer); each one's
    messages still go one at a time, in the order queued, and every row exactly once."""

    class Gated(CountingChannel):
        def __init__(self) -> None:
            super().__init__()
            self.in_flight: dict[str, int] = {}
            self.most = 0
            self.texts: dict[str, list[str]] = {}

        async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
            self.in_flight[user_id] = self.in_flight.get(user_id, 0) + 1
            assert self.in_flight[user_id] == 1, "two sends to one recipient at once"
            self.most = max(self.most, sum(self.in_flight.values()))
            for _ in range(3):  # a slow platform: let the other sends proceed meanwhile
                await asyncio.sleep(0)
            self.in_flight[user_id] -= 1
            assert isinstance(message, OutgoingText)
            self.texts.setdefault(user_id, []).append(message.text)
            self.delivered.append(outbox_id)

    channel = Gated()
    sender = Sender({"count": channel}, max_attempts=3, poll_seconds=0.01, concurrency=4)
    await outbox.enqueue_many([("count", f"u{i % 6}", OutgoingText(str(i))) for i in range(60)],
                              priority=outbox.NORMAL)
    assert await sender.flush() == 60
    assert 1 < channel.most <= 4
    assert sorted(channel.delivered) == [r.id for r in await Outbox.all().order_by("id")]
    for i in range(6):
        assert channel.texts[f"u{i}"] == [str(n) for n in range(i, 60, 6)]


# the fields of Button in the release before Button.secondary; its reader did Button(**b)
PREVIOUS_BUTTON_FIELDS = {"key", "label", "style", "command"}


def test_card_payloads_stay_readable_by_the_previous_release() -> None:
    """A rolling deploy or a rollback: the previous reader gets rows this release wrote.
    A button that is not secondary is written as before; only a secondary one (转交 on
    the review card) carries the new key."""
    card = OutgoingCard("t", "b", "ref", buttons=(Button("a:1", "同意"),
                                                  Button("b:1", "转交", secondary=True)))
    plain, secondary = card.to_dict()["buttons"]
    assert set(plain) == PREVIOUS_BUTTON_FIELDS
    assert secondary["secondary"] is True
    assert outgoing_from_dict(card.to_dict()) == card


def test_card_payloads_from_a_later_release_load() -> None:
    """Forward compatibility: button keys this release does not know are ignored."""
    data = OutgoingCard("t", "b", "ref", buttons=(Button("a:1", "同意"),)).to_dict()
    data["buttons"][0]["icon"] = "check"
    loaded = outgoing_from_dict(data)
    assert isinstance(loaded, OutgoingCard)
    assert loaded.buttons == (Button("a:1", "同意"),)


async def test_a_card_queued_during_a_burst_goes_in_the_next_batch(db: None) -> None:
    """A flush working through a burst of bulk rows takes a card queued meanwhile in its
    next claim, not after the whole burst (the province's relay burst held cards back)."""

    class Queuing(CountingChannel):
        card: Outbox | None = None

        async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
            await super().send(user_id, message, outbox_id=outbox_id)
            if self.card is None:  # a reviewer's card, queued while the burst goes out
                self.card = await outbox.enqueue("count", "reviewer", OutgoingText("card"),
                                                 priority=outbox.URGENT)

    channel = Queuing()
    sender = Sender({"count": channel}, max_attempts=3, poll_seconds=0.01)
    await outbox.enqueue_many([("count", f"admin{i}", OutgoingText(f"relay {i}"))
                               for i in range(outbox.BATCH * 5)])
    assert await sender.flush() == outbox.BATCH * 5 + 1
    assert channel.card is not None
    assert outbox.BATCH <= channel.delivered.index(channel.card.id) <= outbox.BATCH + 1


async def test_bulk_waits_while_people_are_being_answered(db: None) -> None:
    """Issue 19: while this process handles someone's event, its sender delivers review
    cards (urgent) but holds the other rows until the event is done, or until events have
    kept it busy for the foreground's patience (a steady stream never stops delivery)."""
    from bot.foreground import Foreground

    class Recording(FlakyChannel):
        async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
            text = message.text if isinstance(message, OutgoingText) else "card"
            self.delivered.append((user_id, text))

    channel, foreground = Recording(), Foreground(patience=60)
    sender = Sender({"flaky": channel}, max_attempts=3, poll_seconds=0.01,
                    foreground=foreground)
    release = asyncio.Event()

    async def event(_: object) -> None:
        await release.wait()

    handling = asyncio.create_task(foreground.wrap(event)(None))
    await asyncio.sleep(0)  # the event is being handled
    assert foreground.busy
    await outbox.enqueue("flaky", "u1", OutgoingText("notice"))
    await outbox.enqueue("flaky", "u2", OutgoingCard(title="待审", body_md="", card_ref="review-1-2-1"))
    flushing = asyncio.create_task(sender.flush())
    async with asyncio.timeout(10):
        while channel.delivered != [("u2", "card")]:
            await asyncio.sleep(0.01)
    assert not flushing.done()
    release.set()
    await handling
    assert await flushing == 2
    assert channel.delivered == [("u2", "card"), ("u1", "notice")]
    # busy past its patience: the rest goes anyway
    foreground.patience = 0.05
    release.clear()
    handling = asyncio.create_task(foreground.wrap(event)(None))
    await asyncio.sleep(0)
    await outbox.enqueue("flaky", "u1", OutgoingText("digest"))
    assert await sender.flush() == 1
    assert foreground.busy
    release.set()
    await handling
