"""The simulator's mailbox ignores one thing only: the retry of an outbox row already in it.
MySQL's INSERT IGNORE (Tortoise's ignore_conflicts there) also turns real errors into
warnings: a value the column cannot hold is cut or replaced, or the row dropped, and the
outbox row was marked sent all the same. Found by review; failed on MariaDB before."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tortoise import connections

from bot import outbox
from bot.channels.sim.adapter import SimChannel
from bot.events import OutgoingCard, OutgoingText
from bot.outbox import Sender
from models.system import Outbox, SimMessage


@pytest.fixture
async def utf8mb3_card_ref(db: None, backend: str) -> AsyncIterator[None]:
    """sim_message.card_ref as a MariaDB created with `utf8` (3 bytes) has it: no emoji."""
    if backend != "mysql":
        pytest.skip("only MySQL's INSERT IGNORE turns errors into warnings")
    conn = connections.get("default")
    _, rows = await conn.execute_query(
        "SELECT COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sim_message'"
        " AND COLUMN_NAME = 'card_ref'")
    kind, charset, collation = rows[0].values()
    await conn.execute_script(
        "ALTER TABLE sim_message MODIFY card_ref VARCHAR(128) CHARACTER SET utf8mb3 NULL")
    try:
        yield
    finally:
        await conn.execute_script(f"ALTER TABLE sim_message MODIFY card_ref {kind} "
                                  f"CHARACTER SET {charset} COLLATE {collation} NULL")


async def test_a_message_the_mailbox_cannot_hold_is_not_marked_sent(
        utf8mb3_card_ref: None) -> None:
    """The mailbox refuses the card (an emoji in a utf8mb3 column): it is not marked sent
    with its card_ref turned into '?' ; it waits for a retry and says why. The other
    person's message in the same batch still goes."""
    sender = Sender({"sim": SimChannel()}, max_attempts=3, poll_seconds=0.01)
    ref = "review-🙂-1"
    row = await outbox.enqueue("sim", "u1", OutgoingCard("稿件", "正文", ref))
    other = await outbox.enqueue("sim", "u2", OutgoingText("别人的消息"))
    await sender.flush()
    row = await Outbox.get(id=row.id)
    assert [m.card_ref for m in await SimMessage.filter(outbox_id=row.id)] == [], \
        "the card was delivered altered"
    assert (row.status, row.attempts) == ("pending", 1) and "1366" in row.last_error
    assert (await Outbox.get(id=other.id)).status == "sent"
    assert await SimMessage.filter(outbox_id=other.id).count() == 1


async def test_the_retry_of_a_delivered_row_is_still_one_message(db: None) -> None:
    """Rows delivered before their sent mark was lost, retried in a batch with a new one
    (and each on its own): one copy each, no error."""
    sender = Sender({"sim": SimChannel()}, max_attempts=3, poll_seconds=0.01)
    first = await outbox.enqueue("sim", "u1", OutgoingText("一次"))
    await outbox.enqueue("sim", "u1", OutgoingText("两次"))
    await SimChannel().send("u1", OutgoingText("一次"), outbox_id=first.id)
    await SimChannel().send("u1", OutgoingText("一次"), outbox_id=first.id)
    assert await sender.flush() == 2
    assert [m.payload["text"] for m in await SimMessage.filter(user_id="u1").order_by("id")] \
        == ["一次", "两次"]
    assert await Outbox.filter(status="sent", attempts=1).count() == 2
