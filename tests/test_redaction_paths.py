"""Secrets in logs and tables (issue 13 item 5), the paths tests/test_redaction.py does not
drive: a unit's WeCom group-robot key (`key=` in the URL) and a DingTalk reply webhook's
`session=`, both on an API error path (a redirect loop), in WARNING logs and last_error."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot import outbox
from bot.app import create_app
from bot.clock import utcnow
from bot.events import OutgoingText
from bot.keys import sender_key
from models.dingtalk_state import DingTalkSession
from models.system import Outbox
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, TOKEN
from tests.ops_support import clean_settings, without_sender

SESSION = "session-secret-77e0b9aa"


def loop_app() -> web.Application:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.rel_url))

    async def wecom_token(request: web.Request) -> web.Response:
        return web.json_response({"errcode": 0, "access_token": "tok-123456", "expires_in": 7200})

    app = web.Application()
    app.router.add_get("/cgi-bin/gettoken", wecom_token)
    app.router.add_route("*", "/robot/sendBySession", loop)
    return app


async def test_session_webhook_never_leaks(  # type: ignore[no-untyped-def]
        aiohttp_client, aiohttp_server, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    server = await aiohttp_server(loop_app())
    base = str(server.make_url("")).rstrip("/")
    settings = dataclasses.replace(
        await clean_settings("sqlite", tmp_path), sim_enabled=False, seed_demo=True,
        channel="wecom", wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID),
        wecom_secret="wecom-secret-abcdef", wecom_token=TOKEN, wecom_aes_key=AES_KEY,
        wecom_api_base=base, dingtalk_app_key="dingappkey", dingtalk_app_secret="ding-sec-1234",
        dingtalk_robot_code="dingappkey", dingtalk_mode="http", dingtalk_api_base=base,
        dingtalk_oapi_base=base)
    client = await aiohttp_client(without_sender(create_app(settings)))
    await DingTalkSession.create(user_id="zhangming",
                                 webhook=f"{base}/robot/sendBySession?session={SESSION}",
                                 expires_at=utcnow() + timedelta(minutes=60))
    caplog.set_level(logging.INFO)  # (the setup's own SQL, at DEBUG, names the key)
    await outbox.enqueue("dingtalk", "zhangming", OutgoingText("你好"))
    await client.app[sender_key].flush()

    errors = [row.last_error for row in await Outbox.all()]
    assert len(errors) == 1 and all(errors), errors  # failed on the loop
    logged = caplog.text + "\n".join(r.getMessage() + (r.exc_text or "")
                                     for r in caplog.records)
    assert SESSION not in logged and all(SESSION not in e for e in errors)


def test_debug_logging_never_prints_sql_parameters() -> None:
    from bot import logs

    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    try:
        logs.configure("DEBUG", "text")
        for name in ("tortoise", "tortoise.db_client", "aiosqlite", "asyncpg", "aiomysql"):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
    finally:
        root.setLevel(before[0])
        for handler in [h for h in root.handlers if h not in before[1]]:
            root.removeHandler(handler)
