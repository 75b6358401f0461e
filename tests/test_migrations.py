"""Schema migrations (issue 7): the models match the migrations, a database holding data
at the first migration upgrades to head without losing a row, and `serve` refuses a
schema that is behind and names the command to run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.autodetector import MigrationAutodetector

from bot.cli import main
from bot.db import APPS_CONFIG, applied_migrations, close_db, connect, pending_migrations, upgrade
from models.org import Account, Person
from models.review import Draft, ReviewStep
from models.system import AuditEvent, Outbox
from tests import databases

FIRST = "0001_initial"


async def test_models_and_migrations_agree() -> None:
    """A model change without its migration fails here: run `python -m tortoise
    makemigrations` (see README) and commit the new file."""
    await connect("sqlite://:memory:")
    try:
        context = Tortoise._get_context()
        detector = MigrationAutodetector(context.apps, {"models": dict(APPS_CONFIG["models"])})
        assert await detector.changes() == []
    finally:
        await close_db()


def _url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite://{tmp_path / 'old.db'}"
    return databases.URLS[backend].replace(databases.TEST_DB, databases.TEST_DB + "_mig")


@pytest.fixture
async def old_db(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of this backend, dropped afterwards."""
    url = _url(backend, tmp_path)
    name = databases.TEST_DB + "_mig"
    if backend != "sqlite":
        drop = f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if backend == "postgres"
                                                     else "")
        create = (f"CREATE DATABASE {name}" if backend == "postgres" else
                  f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        await databases._server_sql(backend, drop, create)
    yield url
    await close_db()
    if backend != "sqlite":
        await databases._server_sql(backend, drop)


async def _sql(sql: str, *values: Any) -> None:
    """Raw SQL written with ? placeholders, in the dialect of the connected database."""
    client = connections.get("default")
    dialect = client.capabilities.dialect
    if dialect == "postgres":
        parts = sql.split("?")
        sql = "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "")
                      for i, p in enumerate(parts))
    elif dialect == "mysql":
        sql = sql.replace("?", "%s").replace('"', "`")
    await client.execute_query(sql, list(values))


def _when(dialect: str) -> Any:
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    return {"sqlite": str(now), "mysql": now.replace(tzinfo=None)}.get(dialect, now)


async def _fill_first_schema() -> None:
    """Rows as the first release wrote them: an org, a reviewed draft, audit, outbox."""
    at = _when(connections.get("default").capabilities.dialect)
    await _sql('INSERT INTO "unit" (id, name, active) VALUES (?, ?, ?)', "u1", "某局", True)
    await _sql('INSERT INTO "person" (id, name, unit_id, roles, active) VALUES (?, ?, ?, ?, ?)',
               "ed", "编辑", "u1", '["editor"]', True)
    await _sql('INSERT INTO "person" (id, name, unit_id, roles, active) VALUES (?, ?, ?, ?, ?)',
               "rv", "科长", "u1", '["reviewer"]', True)
    await _sql('INSERT INTO "account" (id, name, platform, unit_id, content, status, '
               'last_update_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
               1, "某局发布", "weibo", "u1", "text", "normal", at)
    await _sql('INSERT INTO "draft" (id, account_id, author_id, title, body, important, version, '
               'state, level, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
               1, 1, "ed", "旧稿件", "正文", False, 1, "reviewing", 2, at, at)
    await _sql('INSERT INTO "review_step" (draft_id, version, level, role, assignee_id, '
               'escalation_note, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
               1, 1, 2, "reviewer", "rv", "", "", at)
    await _sql('INSERT INTO "outbox" (channel, user_id, payload, status, attempts, '
               'next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
               "sim", "rv", '{"type":"text","text":"hi","markdown":false}', "pending", 0, at,
               "", at)
    await _sql('INSERT INTO "audit_event" (seq, at, actor, action, subject, data, prev_hash, '
               'hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', 1, "2026-11-02T09:30:00+00:00", "ed",
               "draft.submitted", "draft:1", "{}", "0" * 64, "f" * 64)


async def test_upgrade_from_the_first_migration_keeps_every_row(old_db: str) -> None:
    await connect(old_db)
    await upgrade(FIRST)
    assert await applied_migrations() == [FIRST]
    await _fill_first_schema()
    applied = await upgrade()
    assert applied and await pending_migrations() == []
    account = await Account.get(id=1)
    assert account.created_at is not None and account.last_update_at is not None
    assert (account.name, account.vendor) == ("某局发布", "")  # new registry field, defaulted
    assert await Person.all().count() == 2
    draft = await Draft.get(id=1)
    assert (draft.title, draft.relay_task_id) == ("旧稿件", None)  # type: ignore[attr-defined]
    assert await ReviewStep.filter(draft_id=1, assignee_id="rv").exists()
    outbox = await Outbox.get()
    assert (outbox.payload["text"], outbox.claimed_by) == ("hi", None)
    assert (await AuditEvent.get(seq=1)).subject == "draft:1"


def test_serve_refuses_a_schema_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    url = f"sqlite://{tmp_path / 'behind.db'}"

    async def first_only() -> None:
        await connect(url)
        await upgrade(FIRST)
        await close_db()

    asyncio.run(first_only())
    env = {"GOVMEDIA_DATABASE_URL": url}
    assert main(["serve", "--port", "1"], env) == 2
    err = capsys.readouterr().err
    assert "govmedia db upgrade" in err and "0002" in err
    assert main(["audit", "verify"], env) == 2
    assert "govmedia db upgrade" in capsys.readouterr().err
    assert main(["db", "upgrade"], env) == 0
    assert "已升级" in capsys.readouterr().out
    assert main(["db", "upgrade"], env) == 0
    assert "无需升级" in capsys.readouterr().out
    assert main(["audit", "verify"], env) == 0


def test_only_db_upgrade_and_serve_create_a_database(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.db"
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{path}"}
    for command in (["audit", "verify"], ["org", "export"], ["remind", "--dry-run"]):
        assert main(command, env) == 2
        err = capsys.readouterr().err
        assert f"数据库：{path}" in err and "不存在" in err and "govmedia db upgrade" in err
        assert not path.exists()
    assert main(["db", "upgrade"], env) == 0
    assert f"数据库：{path}" in capsys.readouterr().err and path.exists()
    assert main(["audit", "verify"], env) == 0
    assert main(["db", "upgrade"], env) == 0
    assert "无需升级" in capsys.readouterr().out


def test_an_empty_database_is_not_given_tables(old_db: str, backend: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """An existing empty database (an empty SQLite file, a new server database) stays
    empty for every command but serve and db upgrade."""
    if backend == "sqlite":
        Path(old_db.removeprefix("sqlite://")).touch()
    env = {"GOVMEDIA_DATABASE_URL": old_db}
    assert main(["audit", "verify"], env) == 2
    assert "还没有表结构" in capsys.readouterr().err


async def test_no_table_description_holds_a_semicolon() -> None:
    """Tortoise's SQLite migrations split statements on ';' and model docstrings become
    table comments: a ';' in a model docstring breaks `db upgrade` on SQLite."""
    await connect("sqlite://:memory:")
    try:
        bad = [m.__name__ for m in Tortoise.apps["models"].values()
               if ";" in (m._meta.table_description or "")]
        assert bad == []
    finally:
        await close_db()
