"""The simulator is a demo (issue 13 item 3): next to a real channel only behind a login
from the environment; always CSRF-safe (no cross-site text/plain or form posts); bad input
is a 4xx; its data is bounded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import FormData

from bot.app import create_app
from bot.channels.sim import inbound as sim
from bot.channels.sim.guard import COOKIE
from bot.cli.serve import startup_line
from bot.config import Settings, load_settings
from models.system import SimMessage
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN
from tests.test_app import settle

SIM_TOKEN = "a-login-token-of-some-length"


def _demo(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite://{tmp_path / 'sim.db'}", outbox_poll_seconds=0.05)


def _office(tmp_path: Path) -> Settings:
    """WeCom configured and the simulator explicitly on, with its login."""
    return Settings(database_url=f"sqlite://{tmp_path / 'sim.db'}", outbox_poll_seconds=0.05,
                    channel="wecom", wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID),
                    wecom_secret=SECRET, wecom_token=TOKEN, wecom_aes_key=AES_KEY,
                    wecom_api_base="http://127.0.0.1:9", sim_enabled=True,
                    sim_token=SIM_TOKEN, seed_demo=True)


async def test_next_to_a_real_channel_the_simulator_needs_the_login(  # type: ignore[no-untyped-def]
        aiohttp_client, tmp_path: Path) -> None:
    client = await aiohttp_client(create_app(_office(tmp_path)))
    page = await client.get("/sim/")
    assert page.status == 401 and "GOVMEDIA_SIM_TOKEN" in await page.text()
    assert (await client.get("/sim/api/people")).status == 401
    assert (await client.get("/sim/api/messages", params={"user": "wangwu"})).status == 401
    resp = await client.post("/sim/api/send", json={"user": "zhangming", "text": "通过 #1"})
    assert resp.status == 401
    assert await SimMessage.all().count() == 0

    wrong = await client.post("/sim/login", json={"token": "guess-guess-guess"})
    assert wrong.status == 401 and COOKIE not in wrong.cookies
    assert (await client.post("/sim/login", data=json.dumps({"token": SIM_TOKEN}))).status == 415
    # a script: the token as a bearer header
    bearer = {"Authorization": f"Bearer {SIM_TOKEN}"}
    assert (await client.get("/sim/api/people", headers=bearer)).status == 200
    # the page: log in once, then the cookie
    ok = await client.post("/sim/login", json={"token": SIM_TOKEN})
    assert ok.status == 200
    cookie = ok.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and SIM_TOKEN not in cookie.value
    assert (await client.get("/sim/")).status == 200
    assert (await client.post("/sim/api/send", json={"user": "wangwu", "text": "帮助"})).status \
        == 200
    await settle(client)
    assert await SimMessage.filter(user_id="wangwu", direction="out").exists()


async def test_cross_site_posts_are_refused(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(_demo(tmp_path)))
    draft = json.dumps({"user": "zhangming", "text": "通过 #1"})
    # what a foreign page's <form enctype="text/plain"> or fetch(no-cors) can send
    assert (await client.post("/sim/api/send", data=draft,
                              headers={"Content-Type": "text/plain"})).status == 415
    assert (await client.post("/sim/api/tap", data={"user": "zhangming", "key": "x"})).status \
        == 415
    foreign = {"Origin": "https://evil.example", "Content-Type": "application/json"}
    assert (await client.post("/sim/api/send", data=draft, headers=foreign)).status == 403
    assert (await client.post("/sim/api/send", data=draft, headers={
        "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"})).status == 403
    form = FormData()
    form.add_field("user", "wangwu")
    form.add_field("file", b"PK\x03\x04", filename="a.docx")
    assert (await client.post("/sim/api/upload", data=form)).status == 403
    assert await SimMessage.all().count() == 0
    # the simulator's own page: same origin, JSON
    same = {"Origin": str(client.make_url("")).rstrip("/")}
    assert (await client.post("/sim/api/send", json={"user": "wangwu", "text": "帮助"},
                              headers=same)).status == 200
    await settle(client)


@pytest.mark.parametrize("body", [
    b'{"user": "' + b"u" * 65 + b'", "text": "x"}',  # longer than a user id can be
    b'{"user": "wangwu", "text": "\\ud800"}',  # a lone surrogate
    b'{"user": "\\udfff", "text": "x"}',
    b'{"user": "wangwu", "text": "\xff\xfe"}',  # not UTF-8
    b"[" * 5000 + b"]" * 5000,  # nested too deep for the parser
    b'{"user": "wangwu", "text": "x", "event_id": ["a"]}',
    b'{"user": "wang\\nwu", "text": "x"}',
    b'{"user": "", "text": "x"}',
    b'{"user": 7, "text": "x"}',
    b'"just a string"',
], ids=["long-user", "surrogate-text", "surrogate-user", "not-utf8", "deep", "event-id-list",
        "control-char", "empty-user", "number-user", "not-object"])
async def test_bad_simulator_input_is_a_400(aiohttp_client, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            body: bytes) -> None:
    client = await aiohttp_client(create_app(_demo(tmp_path)))
    for path in ("/sim/api/send", "/sim/api/tap"):
        resp = await client.post(path, data=body, headers={"Content-Type": "application/json"})
        assert resp.status == 400, (path, resp.status)
    await settle(client)
    assert await SimMessage.all().count() == 0


async def test_simulator_history_is_bounded(aiohttp_client, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim, "HISTORY_KEPT", 6)
    client = await aiohttp_client(create_app(_demo(tmp_path)))
    for i in range(12):
        assert (await client.post("/sim/api/send", json={"user": "nobody", "text": f"m{i}"})
                ).status == 200
        await settle(client)
    assert await SimMessage.filter(user_id="nobody").count() <= 6 + 1
    texts = [m.payload.get("text") for m in await SimMessage.filter(user_id="nobody",
                                                                     direction="in")]
    assert "m11" in texts and "m0" not in texts


def test_start_up_line_names_the_channels_on() -> None:
    env = {"GOVMEDIA_WECOM_CORP_ID": CORP_ID, "GOVMEDIA_WECOM_AGENT_ID": str(AGENT_ID),
           "GOVMEDIA_WECOM_SECRET": SECRET, "GOVMEDIA_WECOM_TOKEN": TOKEN,
           "GOVMEDIA_WECOM_AES_KEY": AES_KEY, "GOVMEDIA_DINGTALK_APP_KEY": "k",
           "GOVMEDIA_DINGTALK_APP_SECRET": "s", "GOVMEDIA_DINGTALK_ROBOT_CODE": "k"}
    line = startup_line(load_settings(None, env))
    assert "已启用渠道：企业微信、钉钉（Stream 模式）" in line and "模拟器：关" in line
    line = startup_line(load_settings(None, {**env, "GOVMEDIA_SIM_ENABLED": "1",
                                             "GOVMEDIA_SIM_TOKEN": SIM_TOKEN}))
    assert "已启用渠道：企业微信、钉钉（Stream 模式）、浏览器模拟器" in line
    assert "已启用渠道：浏览器模拟器" in startup_line(load_settings(None, {}))


def test_the_login_token_comes_from_the_environment(tmp_path: Path) -> None:
    from bot.errors import ConfigError
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'sim_token = "{SIM_TOKEN}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="GOVMEDIA_SIM_TOKEN"):
        load_settings(str(cfg), {})
