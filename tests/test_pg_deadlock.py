"""A PostgreSQL deadlock (40P01) reaches us as asyncpg's DeadlockDetectedError, which
Tortoise does not wrap: bot.db.is_deadlock must still say so, or the dispatcher's, the
claims' and the sent marks' retries never run there (a deadlocked event was answered with
the internal-error text and dropped). Found by review; failed before the fix."""

from __future__ import annotations
import asyncio
import pytest
from tortoise.transactions import in_transaction
from bot.db import is_deadlock
from models.system import SimMessage


async def test_a_postgresql_deadlock_is_recognised_as_one(db: None, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("pg")
    x = await SimMessage.create(user_id="x", direction="out", payload={})
    y = await SimMessage.create(user_id="y", direction="out", payload={})
    a_has, b_has = asyncio.Event(), asyncio.Event()
    errors: list[BaseException] = []

    async def one(first, second, mine, other):
        try:
            async with in_transaction():
                await SimMessage.filter(id=first).update(user_id="a")
                mine.set()
                await other.wait()
                await SimMessage.filter(id=second).update(user_id="a")
        except BaseException as exc:
            errors.append(exc)

    await asyncio.gather(one(x.id, y.id, a_has, b_has), one(y.id, x.id, b_has, a_has))
    assert errors and is_deadlock(errors[0]), errors
