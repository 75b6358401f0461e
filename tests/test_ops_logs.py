"""Logs: JSON lines when configured, and never a secret or a message body at INFO."""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import string
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot import logs
from bot.app import create_app
from bot.cli import main
from bot.config import Settings
from bot.keys import sender_key, tasks_key
from tests.ops_support import without_sender

SECRET_SUFFIXES = ("_secret", "_token", "_aes_key", "_key")
BODY = "濯水古镇秋季旅游节今日开幕，游客可凭身份证免费入园参观。"
REVISED = "修改后的正文：开幕式延期至十月二日上午九时举行。"
REASON = "开幕时间写错了，请与主办方核对"


@pytest.fixture
def bot_handler() -> Iterator[None]:
    """Leave the root logger as it was after logs.configure()."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def secret_settings(base: Settings) -> tuple[Settings, list[str]]:
    """Give every secret-looking string key (…_secret/_token/_aes_key/_key) a value that a
    log line could only contain if the key leaked; AES keys get the 43-character form."""
    values: dict[str, str] = {}
    for f in fields(Settings):
        if f.type == "str" and f.name.endswith(SECRET_SUFFIXES):
            size = 43 if f.name.endswith("_aes_key") else 32
            alphabet = string.ascii_letters + string.digits
            values[f.name] = "".join(secrets.choice(alphabet) for _ in range(size))
    # DingTalk in HTTP mode: Stream mode would dial api.dingtalk.com from the test
    return dataclasses.replace(base, dingtalk_mode="http", **values), list(values.values())


async def say(client: TestClient, user: str, text: str) -> list[dict[str, Any]]:
    await client.post("/sim/api/send", json={"user": user, "text": text})
    return await settle(client, user)


async def tap(client: TestClient, user: str, label: str) -> list[dict[str, Any]]:
    box = await (await client.get("/sim/api/messages", params={"user": user})).json()
    key = next(b["key"] for b in box[-1]["buttons"] if b["label"] == label)
    await client.post("/sim/api/tap", json={"user": user, "key": key})
    return await settle(client, user)


async def settle(client: TestClient, user: str) -> list[dict[str, Any]]:
    await client.app[tasks_key].drain()
    await client.app[sender_key].flush()
    return await (await client.get("/sim/api/messages", params={"user": user})).json()


async def test_full_review_flow_logs_no_secret_and_no_body(
        aiohttp_client, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    base = Settings(database_url=f"sqlite://{tmp_path / 'l.db'}", draft_join_seconds=0)
    settings, secret_values = secret_settings(base)
    caplog.set_level(logging.INFO)
    # sim_token is one of the secrets set: the simulator then wants its login
    client = await aiohttp_client(without_sender(create_app(settings)),
                                  headers={"Authorization": f"Bearer {settings.sim_token}"})
    await say(client, "wangwu", f"投稿 黔江文旅\n秋季旅游节开幕\n{BODY}")
    await tap(client, "zhangming", "通过")
    await say(client, "liufang", f"退回 #1 {REASON}")
    await say(client, "wangwu", f"修改 #1\n秋季旅游节开幕\n{REVISED}")
    await tap(client, "zhangming", "通过")
    await tap(client, "liufang", "通过")
    done = await say(client, "wangwu", "已发布 #1 https://mp.weixin.qq.com/s/abc")
    assert done[-1]["text"].startswith("已登记稿件 #1 的发布")  # the whole flow went through

    assert caplog.records, "the flow logged nothing, so the check would prove nothing"
    formatter = logs.JsonFormatter()
    logged = caplog.text + "\n".join(formatter.format(r) for r in caplog.records)
    forbidden = [*secret_values, BODY, REVISED, REASON, BODY[:12], REVISED[:12]]
    leaked = [value for value in forbidden if value in logged]
    assert not leaked, f"logged at INFO: {leaked}"


def test_json_lines_carry_time_level_logger_message_and_extras(
        bot_handler: None, capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "json")
    log = logging.getLogger("bot.test")
    log.info("event %s handled", "e1", extra={"platform": "wecom", "event_id": "e1"})
    log.debug("not at INFO")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["message"] == "event e1 handled"
    assert (first["platform"], first["event_id"]) == ("wecom", "e1")
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert "ValueError: <4 characters not logged>" in second["exc_info"]
    assert "platform" not in second


def test_cli_configures_the_log_format(bot_handler: None, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{tmp_path / 'c.db'}",
           "GOVMEDIA_LOG_FORMAT": "json"}
    assert main(["db", "upgrade"], env) == 0
    logging.getLogger("bot.probe").warning("after the CLI", extra={"event_id": "x"})
    line = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert line["message"] == "after the CLI" and line["event_id"] == "x"

    assert main(["audit", "verify"], {**env, "GOVMEDIA_LOG_FORMAT": "xml"}) == 2
    err = capsys.readouterr().err
    assert "log_format" in err and "text 或 json" in err
