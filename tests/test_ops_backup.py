"""`govmedia db backup FILE`: an online SQLite copy that `audit verify` accepts, and a
pointer to pg_dump / mysqldump for server databases."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.app import create_app
from bot.cli import main
from bot.config import Settings
from tests.test_app import DRAFT, settle


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def test_backup_of_a_running_bot_verifies(aiohttp_client, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                capsys: pytest.CaptureFixture[str]) -> None:
    live = tmp_path / "live.db"
    client = await aiohttp_client(create_app(Settings(database_url=f"sqlite://{live}")))
    await client.post("/sim/api/send", json={"user": "wangwu", "text": DRAFT})
    await settle(client)
    copy = tmp_path / "backups" / "govmedia-1.db"
    copy.parent.mkdir()
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{live}"}

    # the app keeps its connection open and keeps working during the backup
    backup = asyncio.create_task(asyncio.to_thread(main, ["db", "backup", str(copy)], env))
    await client.post("/sim/api/send", json={"user": "wangwu", "text": "帮助"})
    assert await backup == 0
    assert str(copy) in capsys.readouterr().out
    await settle(client)
    assert count(copy, "draft") == 1 and not (copy.parent / "govmedia-1.db.part").exists()

    await client.close()  # Tortoise is process-global: one database at a time
    copy_env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{copy}"}
    assert await asyncio.to_thread(main, ["audit", "verify"], copy_env) == 0
    assert f"共 {count(copy, 'audit_event')} 条" in capsys.readouterr().out
    assert count(copy, "audit_event") >= 3


def test_backup_never_overwrites_or_invents(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.db"
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{missing}"}
    assert main(["db", "backup", str(tmp_path / "b.db")], env) == 1
    assert "找不到数据库文件" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "b.db").exists()

    live = tmp_path / "live.db"
    sqlite3.connect(live).close()
    old = tmp_path / "old.db"
    old.write_bytes(b"an older backup")
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{live}"}
    assert main(["db", "backup", str(old)], env) == 1
    assert "已存在" in capsys.readouterr().err and old.read_bytes() == b"an older backup"
    assert main(["db", "backup", str(tmp_path / "no" / "dir.db")], env) == 1
    assert "目录" in capsys.readouterr().err

    memory = {"GOVMEDIA_DATABASE_URL": "sqlite://:memory:"}
    assert main(["db", "backup", str(tmp_path / "m.db")], memory) == 2
    assert "无法备份" in capsys.readouterr().err


@pytest.mark.parametrize(("url", "tool", "restore"), [
    ("postgres://gov:s3cretpw@127.0.0.1:5432/govmedia", "pg_dump", "pg_restore"),
    ("mysql://gov:s3cretpw@127.0.0.1/govmedia", "mysqldump", "mysql --host"),
])
def test_server_databases_point_to_their_dump_tool(url: str, tool: str, restore: str,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = str(tmp_path / "govmedia.dump")
    assert main(["db", "backup", target], {"GOVMEDIA_DATABASE_URL": url}) == 2
    err = capsys.readouterr().err
    assert f"{tool} " in err and restore in err and target in err
    assert "--user" in err and "gov" in err and "govmedia" in err
    assert "s3cretpw" not in err
    assert not Path(target).exists()
