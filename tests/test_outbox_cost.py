"""Issue 19: what a delivered batch costs the database, counted in statements (Tortoise's
debug log, one line each; BEGIN and COMMIT are not logged), not timed."""

from __future__ import annotations

import asyncio

from bot import outbox
from bot.channels.sim.adapter import SimChannel
from bot.events import Button, CardUpdate, Outgoing, OutgoingCard, OutgoingText
from bot.outbox import Sender
from models.system import Outbox, SimMessage
from tests.test_decision_cost import statements


def _quoted(lines: list[str]) -> list[str]:
    # MySQL quotes with backticks and pins updates by ids to the primary key
    return [line.replace("`", '"').replace(" FORCE INDEX (PRIMARY)", "") for line in lines]


def _count(lines: list[str], text: str) -> int:
    return sum(text in line for line in _quoted(lines))


def _claim_reads(backend: str) -> int:
    # MySQL's claim picks its rows with an unlocked read, then locks them by primary key
    # (bot/leases.py pick_then_lock)
    return 2 if backend == "mysql" else 1


async def test_a_simulator_batch_is_delivered_and_marked_in_one_transaction(
        db: None, backend: str) -> None:
    """The simulator's mailbox is our own table: a claimed batch lands there and is marked
    sent in the claim's transaction (one insert, one mark, no lease), whatever its size; a
    card update changes the card queued before it."""
    card = OutgoingCard("稿件", "正文", "draft:1", buttons=(Button("a:1", "通过"),))
    await outbox.enqueue("sim", "u0", card)
    for i in range(12):
        await outbox.enqueue("sim", f"u{i % 4}", OutgoingText(f"消息 {i}"))
    decided = OutgoingCard("已通过 · 稿件", "正文", "draft:1", status="已通过")
    await outbox.enqueue("sim", "u0", CardUpdate(decided))
    sender = Sender({"sim": SimChannel()}, max_attempts=3, poll_seconds=0.01)
    with statements() as lines:
        assert await sender.flush() == 14
    # the claim (its select and each recipient's older rows), in the same transaction the
    # mark and the mailbox: one insert, and the card update for any copy already there
    assert len(lines) <= 4 + _claim_reads(backend), lines
    assert not any("locked_until\"=?" in line for line in _quoted(lines))  # no lease
    assert _count(lines, 'UPDATE "outbox" SET "status"') == 1
    assert _count(lines, 'INTO "sim_message"') == 1  # INSERT IGNORE INTO on MySQL
    # no second claim query
    assert sum(line.startswith("SELECT") for line in lines) == 1 + _claim_reads(backend)
    assert not any('FROM "sim_message"' in line for line in _quoted(lines))
    assert await Outbox.filter(status="sent").count() == 14
    mailbox = await SimMessage.filter(user_id="u0").order_by("id")
    assert [m.payload.get("text") for m in mailbox[1:]] == ["消息 0", "消息 4", "消息 8"]
    assert mailbox[0].payload["title"] == "已通过 · 稿件"  # updated after it was inserted


async def test_a_simulator_row_delivered_before_a_crash_is_not_repeated(db: None) -> None:
    """A row in the mailbox whose sent mark was lost (an older release marked it apart):
    the unique outbox id keeps one copy, without a read before the insert."""
    sender = Sender({"sim": SimChannel()}, max_attempts=3, poll_seconds=0.01)
    row = await outbox.enqueue("sim", "u1", OutgoingText("一次"))
    await outbox.enqueue("sim", "u1", OutgoingText("两次"))
    await SimChannel().send("u1", OutgoingText("一次"), outbox_id=row.id)
    assert await sender.flush() == 2
    assert [m.payload["text"] for m in await SimMessage.filter(user_id="u1").order_by("id")] \
        == ["一次", "两次"]


async def test_a_batch_the_mailbox_refuses_goes_row_by_row(db: None) -> None:
    """A failure inside the claim's delivery rolls back only that delivery: the rows are
    leased and sent one by one, each once."""

    class Refusing(SimChannel):
        async def deliver_all(self, items: object) -> None:
            await SimMessage.create(user_id="x", direction="out", payload={}, outbox_id=-1)
            raise RuntimeError("refused")

    sender = Sender({"sim": Refusing()}, max_attempts=3, poll_seconds=0.01)
    for i in range(3):
        await outbox.enqueue("sim", f"u{i}", OutgoingText(str(i)))
    assert await sender.flush() == 3
    assert await Outbox.filter(status="sent", attempts=1).count() == 3
    assert await SimMessage.filter(outbox_id=-1).count() == 0  # rolled back
    assert sorted(m.user_id for m in await SimMessage.all()) == ["u0", "u1", "u2"]


class _Together:
    """A platform that answers the sends in flight together, once `width` are waiting."""

    name = "slow"

    def __init__(self, width: int) -> None:
        self.width = width
        self.waiting: list[asyncio.Future[None]] = []
        self.delivered: list[int] = []

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        answer = asyncio.get_running_loop().create_future()
        self.waiting.append(answer)
        if len(self.waiting) == self.width:
            for each in self.waiting:
                each.set_result(None)
            self.waiting = []
        await answer
        self.delivered.append(outbox_id)

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        raise AssertionError("not used")


async def test_rows_answered_together_are_marked_in_one_statement(db: None, backend: str
                                                                  ) -> None:
    """A replica serving eight recipients at once marks the rows the platform answered
    together in one statement, and each before that recipient's next row goes out."""
    channel = _Together(width=8)
    sender = Sender({"slow": channel}, max_attempts=3, poll_seconds=0.01, concurrency=8)
    await outbox.enqueue_many([("slow", f"u{i % 8}", OutgoingText(str(i))) for i in range(32)],
                              priority=outbox.NORMAL)
    with statements() as lines:
        assert await sender.flush() == 32
    # four rounds of eight answers: one mark each, plus the claim's three statements
    assert _count(lines, 'UPDATE "outbox" SET "status"') == 4, lines
    assert len(lines) <= 2 + _claim_reads(backend) + 4, lines
    assert sorted(channel.delivered) == [r.id for r in await Outbox.all().order_by("id")]
    assert await Outbox.filter(status="sent", attempts=1).count() == 32
