"""Issue 19: a review decision reads each row it needs once and writes its outbox rows and
audit events together, so its statements stay few (counted, not timed)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.channels.sim import inbound as sim
from tests.conftest import Harness
from tests.test_handlers_review import DRAFT


class _Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements Tortoise runs in the block (its debug log, one line each)."""
    logger = logging.getLogger("tortoise.db_client")
    handler, level = _Statements(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_a_decision_costs_few_statements(bot: Harness) -> None:
    with statements() as submit:  # 投稿: the draft, its 机审, the route, the 二审 card
        assert await bot.dispatcher.feed(sim.text_event("wangwu", DRAFT))
    await bot.sender.flush()
    card = await bot.live_card("zhangming")
    with statements() as second:  # 二审: its decided card, the 三审 assignment and card
        assert await bot.dispatcher.feed(sim.tap_event("zhangming", bot.key(card, "通过")))
    await bot.sender.flush()
    card = await bot.live_card("liufang")
    with statements() as third:  # 三审: its decided card, the approval and its notices
        assert await bot.dispatcher.feed(sim.tap_event("liufang", bot.key(card, "通过")))
    await bot.sender.flush()
    assert "已完成三审三校" in (await bot.texts("wangwu"))[-1]
    # 二审 50 and 三审 35 statements before issue 19, then 24 and 21 (with BEGIN and COMMIT
    # unlogged); 投稿 34. Then 23, 20, 17: the inbox row in one statement, the route's
    # absences and loads read once for all candidates, a decision's step read with the
    # draft's other steps (R-REV-3 and the card's history), a unit with those above it.
    # Now 16, 15, 14: the audit head moved by a conditional update where this process left
    # it (no locked read), the picture count a column of the draft's locked read, a
    # review_check read only when an error finding may have asked for one, a new version's
    # steps in one insert and its pictures and decided steps known, the unit's people read
    # once, an editor's admin tie not read, open-step loads read only to choose between
    # holders of a role. 投稿 is 14 once the link secret exists (the first draft makes it).
    # Fewer is not always cheaper: the account joined to the locked read (select_related)
    # saved a statement and cost more CPU than it
    assert len(submit) <= 16, submit
    assert len(second) <= 15, second
    assert len(third) <= 14, third
    # one insert each for the outbox rows and the audit events, however many there are
    for lines in (second, third):
        quoted = [line.replace("`", '"') for line in lines]  # MySQL quotes with backticks
        assert sum('INSERT INTO "outbox"' in line for line in quoted) == 1
        assert sum('INSERT INTO "audit_event"' in line for line in quoted) == 1
