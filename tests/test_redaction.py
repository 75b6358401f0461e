"""Secrets never leave memory: the API error paths (a redirect loop on each platform's
host) are driven through the real outbox sender, then the logs and the tables are grepped
for every configured secret and every token the platforms handed out."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from aiohttp import web

from bot import outbox, redact
from bot.app import create_app
from bot.events import OutgoingText
from bot.keys import sender_key
from models.system import AuditEvent, Outbox
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, TOKEN
from tests.ops_support import clean_settings, without_sender

WECOM_SECRET = "wecom-corp-secret-8f3a9c"
WECOM_ACCESS = "wecom-access-token-71bd22"
DING_SECRET = "ding-app-secret-4c1e07"
DING_ACCESS = "ding-access-token-9e52aa"
AUDIT_KEY = "audit-key-" + "5" * 30


def loop_app(*, wecom_token_loop: bool) -> web.Application:
    """WeCom and DingTalk API paths that answer with a redirect to themselves, forever."""

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.rel_url))

    async def wecom_token(request: web.Request) -> web.Response:
        if wecom_token_loop:
            return await loop(request)
        return web.json_response({"errcode": 0, "access_token": WECOM_ACCESS,
                                  "expires_in": 7200})

    async def ding_token(request: web.Request) -> web.Response:
        return web.json_response({"accessToken": DING_ACCESS, "expireIn": 7200})

    app = web.Application()
    app.router.add_get("/cgi-bin/gettoken", wecom_token)
    app.router.add_route("*", "/cgi-bin/message/send", loop)
    app.router.add_post("/v1.0/oauth2/accessToken", ding_token)
    app.router.add_route("*", "/v1.0/robot/oToMessages/batchSend", loop)
    return app


@pytest.mark.parametrize("token_loop", [True, False], ids=["gettoken-loop", "send-loop"])
async def test_api_error_paths_leak_no_secret(aiohttp_client, aiohttp_server, backend: str,  # type: ignore[no-untyped-def]
                                              tmp_path: Path, token_loop: bool,
                                              caplog: pytest.LogCaptureFixture) -> None:
    server = await aiohttp_server(loop_app(wecom_token_loop=token_loop))
    base = str(server.make_url("")).rstrip("/")
    settings = dataclasses.replace(
        await clean_settings(backend, tmp_path), sim_enabled=False, channel="wecom",
        wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=WECOM_SECRET,
        wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_api_base=base,
        dingtalk_app_key="dingappkey", dingtalk_app_secret=DING_SECRET,
        dingtalk_robot_code="dingappkey", dingtalk_mode="http", dingtalk_api_base=base,
        audit_key=AUDIT_KEY)
    caplog.set_level(logging.DEBUG)
    client = await aiohttp_client(without_sender(create_app(settings)))
    await outbox.enqueue("wecom", "zhangming", OutgoingText("你好"))
    await outbox.enqueue("dingtalk", "zhangming", OutgoingText("你好"))
    await client.app[sender_key].flush()

    rows = await Outbox.all()
    errors = [row.last_error for row in rows]
    assert len(errors) == 2 and all("Redirect" in e for e in errors), errors  # it failed
    audit_rows = [f"{e.actor} {e.subject} {e.data}" for e in await AuditEvent.all()]
    records = caplog.records
    logged = caplog.text + "\n".join(r.getMessage() + (r.exc_text or "") for r in records)
    stored = "\n".join(errors + audit_rows)
    secrets = [WECOM_SECRET, DING_SECRET, AUDIT_KEY, AES_KEY, TOKEN]
    if not token_loop:
        secrets += [WECOM_ACCESS, DING_ACCESS]
    leaked = [s for s in secrets if s in logged or s in stored]
    assert not leaked, f"leaked: {leaked}\n{stored}"
    assert any("corpsecret=***" in e or "access_token=***" in e for e in errors)


def test_redact_masks_values_by_name_and_by_value() -> None:
    redact.configure(["my-configured-secret"])
    redact.register("runtime-token-abc123")
    try:
        text = ("GET https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=S3cr3t "
                "POST /send?access_token=T0k3n&debug=1 "
                "{'x-acs-dingtalk-access-token': 'abc', 'Content-Type': 'json'} "
                '{"accessToken":"zzz","expireIn":7200} my-configured-secret runtime-token-abc123 '
                "https://oapi.dingtalk.com/robot/sendBySession?session=sess1 route_key=keep")
        clean = redact.redact(text)
        for value in ("S3cr3t", "T0k3n", "'abc'", '"zzz"', "my-configured-secret",
                      "runtime-token-abc123", "sess1"):
            assert value not in clean, value
        assert "corpid=ww1" in clean and "debug=1" in clean and "route_key=keep" in clean
        assert "'Content-Type': 'json'" in clean and '"expireIn":7200' in clean
    finally:
        redact.configure([])


def test_every_log_record_is_redacted_whatever_the_handler(
        caplog: pytest.LogCaptureFixture) -> None:
    redact.install()
    redact.configure(["very-secret-value"])
    try:
        log = logging.getLogger("bot.test_redaction")
        with caplog.at_level(logging.INFO):
            log.warning("failed %s", "https://x/?access_token=abcdef very-secret-value")
            try:
                raise ValueError("boom very-secret-value")
            except ValueError:
                log.exception("with traceback")
        assert "very-secret-value" not in caplog.text and "abcdef" not in caplog.text
        # a library exception's message is not logged at all (it may quote the input)
        assert "access_token=***" in caplog.text and "ValueError: <" in caplog.text
    finally:
        redact.configure([])
