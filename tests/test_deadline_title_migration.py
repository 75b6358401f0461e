"""Deadline rows written before migration 0018 stored only a finished title; the upgrade
leaves their title_data NULL and every reader shows the title they stored (issue 11)."""

from __future__ import annotations

from bot.db import connect, upgrade
from handlers.registry.closers import title_of
from handlers.reports import sql
from models.deadlines import Deadline
from tests.test_migrations import _sql, _when, old_db  # noqa: F401  (the fixture)

BEFORE = "0017_outbox_priority"
OLD = "某局发布（新浪微博）备案 #3 在平台完成开设"


async def test_old_deadlines_keep_their_stored_title(old_db: str) -> None:  # noqa: F811
    await connect(old_db)
    await upgrade(BEFORE)
    from tortoise import connections
    at = _when(connections.get("default").capabilities.dialect)
    await _sql('INSERT INTO "unit" (id, name, active) VALUES (?, ?, ?)', "u1", "某局", True)
    await _sql('INSERT INTO "deadline" (id, kind, rule, unit_id, subject, title, due_at, '
               'created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
               1, "platform_change", "R-ACC-3", "u1", "filing:3", OLD, at, at)
    await upgrade()
    row = await Deadline.get(id=1)
    assert row.title_data is None and title_of(row) == OLD
    # the board reads the column by plain SQL: NULL and a value decode alike on every backend
    await Deadline.filter(id=1).update(title_data={"name": "某局发布", "platform": "weibo",
                                                   "id": 3, "filing_kind": "open"})
    found = await sql.rows('SELECT "title_data" AS td FROM "deadline"')
    assert sql.json_value(found[0]["td"])["filing_kind"] == "open"
    assert title_of(await Deadline.get(id=1)) == OLD  # the same message wrote OLD
