"""The command line as an operator meets it: which database, one line per failure (no
traceback, nothing created), no start-up noise, and a reminder scan that can be tried."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from tests import databases

TZ = ZoneInfo("Asia/Shanghai")


def _free_port() -> str:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return str(probe.getsockname()[1])


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) <= 2, err  # 数据库：… plus the error
    return lines[-1]


def test_bad_log_level_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"], {"GOVMEDIA_LOG_LEVEL": "LOUD"}) == 2
    line = _one_line(capsys.readouterr().err)
    assert "log_level" in line and "LOUD" in line and "INFO" in line


def test_bad_type_names_the_type_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"], {"GOVMEDIA_OUTBOX_MAX_ATTEMPTS": "many"}) == 2
    line = _one_line(capsys.readouterr().err)
    assert "应为整数" in line and "int" not in line


@pytest.mark.parametrize("url", ["postgres://postgres@127.0.0.1:1/x",
                                 "mysql://root:secret@127.0.0.1:1/x"])
def test_unreachable_server_is_one_line(url: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["audit", "verify"], ["db", "upgrade"], ["serve", "--port", _free_port()]):
        assert main(command, {"GOVMEDIA_DATABASE_URL": url}) == 2
        line = _one_line(capsys.readouterr().err)
        assert "无法连接数据库" in line and "连接被拒绝" in line and "secret" not in line


@pytest.mark.parametrize("backend", [b for b in databases.backends() if b != "sqlite"])
def test_missing_server_database_is_one_line(backend: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    url = databases.URLS[backend].rsplit("/", 1)[0] + "/govmedia_no_such_db"
    for command in (["audit", "verify"], ["serve", "--port", _free_port()]):
        assert main(command, {"GOVMEDIA_DATABASE_URL": url}) == 2
        line = _one_line(capsys.readouterr().err)
        assert "govmedia_no_such_db" in line and "数据库不存在" in line


def test_port_in_use_is_one_line_and_creates_nothing(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "busy.db"
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{path}"}
        assert main(["serve", "--port", str(port)], env) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"127.0.0.1:{port}" in line and "端口已被占用" in line
    assert not path.exists()  # nothing created, nothing seeded


def test_commands_are_quiet_and_name_their_database(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "quiet.db"
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{path}"}
    for command in (["db", "upgrade"], ["audit", "verify"], ["org", "export"],
                    ["audit", "head"], ["db", "backup", str(tmp_path / "copy.db")]):
        assert main(command, env) == 0
        err = capsys.readouterr().err
        assert f"数据库：{path}" in err and "Tortoise" not in err, (command, err)


def test_server_urls_are_named_without_their_password(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.db import describe

    assert describe("postgres://bot:hunter2@db.internal:5432/govmedia") == \
        "postgres://bot@db.internal:5432/govmedia"
    assert describe("sqlite://:memory:").startswith("内存数据库")


def test_remind_dry_run_changes_nothing(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from bot import demo
    from bot.db import close_db, init_db
    from models.org import Account
    from models.reminders import ReminderLog
    from models.system import Outbox

    url = f"sqlite://{tmp_path / 'dry.db'}"
    updated = datetime(2025, 11, 3, 8, 40, tzinfo=TZ)

    async def prepare() -> None:
        await init_db(url)
        await demo.seed_if_empty()
        await Account.all().update(last_update_at=updated, password_changed_at=updated,
                                   created_at=updated)
        await Account.exclude(name="黔江文旅").update(status="suspended")
        await close_db()

    async def counts() -> tuple[int, int]:
        await init_db(url)
        try:
            return await Outbox.all().count(), await ReminderLog.all().count()
        finally:
            await close_db()

    asyncio.run(prepare())
    env = {"GOVMEDIA_DATABASE_URL": url}
    assert main(["remind", "--now", "2025-11-10T08:45", "--dry-run"], env) == 0
    out = capsys.readouterr().out
    assert "试运行" in out and "发给 王五" in out and "黔江文旅" in out
    assert asyncio.run(counts()) == (0, 0)
    assert main(["remind", "--now", "2025-11-10T08:45"], env) == 0
    assert "发出消息 1 条" in capsys.readouterr().out
    assert asyncio.run(counts()) == (1, 1)
    assert main(["remind", "--now", "2025-11-10T08:45", "--dry-run"], env) == 0
    assert "发出 0 条消息" in capsys.readouterr().out  # already sent: a dry run agrees


def test_remind_help_says_it_really_sends(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["remind", "--help"], {})
    out = capsys.readouterr().out.replace("\n", "")
    assert "真正发给" in out and "--dry-run" in out and "不发送、不记录" in out


def test_tables_nobody_migrated_are_left_alone(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE "unit" (id TEXT PRIMARY KEY)')
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{path}"}
    for command in (["db", "upgrade"], ["serve", "--port", _free_port()]):
        assert main(command, env) == 2
        assert "没有升级记录" in _one_line(capsys.readouterr().err)
    with sqlite3.connect(path) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == [("unit",)]


def test_polls_leave_no_access_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """The simulator page polls its mailbox every 800 ms: no line for each poll."""
    import logging

    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from bot.cli.serve import QuietAccessLogger

    access = QuietAccessLogger(logging.getLogger("aiohttp.access"), '%r %s')
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        for method, path, status in (("GET", "/sim/api/messages", 200), ("GET", "/healthz", 200),
                                     ("POST", "/sim/api/send", 200), ("GET", "/healthz", 503)):
            access.log(make_mocked_request(method, path), web.Response(status=status), 0.01)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "/sim/api/send" in lines[0] and "503" in lines[1]
