"""One adapter shape (issue 11): every platform package under bot/channels/ has the same
modules and implements base.Adapter, and create_app wires each one through that protocol
only, so a new platform (专有钉钉 / 浙政钉) is a copy of a folder."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import configured, create_app
from bot.channels.base import Adapter, Build
from bot.config import Settings
from bot.events import IncomingEvent
from bot.keys import channels_key, inbox_key
from tests.fakes.dingtalk import APP_KEY, APP_SECRET, ROBOT_CODE, TEMPLATE_ID
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = ROOT / "bot" / "channels"
PLATFORMS = sorted(p.name for p in CHANNELS.iterdir() if (p / "__init__.py").is_file())

# every platform package has these
REQUIRED = {"adapter", "inbound", "cards"}
# a platform behind a remote server also has its HTTP client (tokens, errcodes) in api.py
REMOTE = {"api"}
# platforms with no server of their own, and why
NO_SERVER = {"sim": "its platform is the sim_message table in our own database"}
# what a package may add to the common modules
EXTRAS = {"dingtalk": {"stream"}, "sim": {"guard"}}
# aiohttp modules a package without a server may use (serving pages, never calling out)
SERVING_ONLY = {"aiohttp.web", "aiohttp.typedefs", "aiohttp.http_exceptions"}


def modules(platform: str) -> set[str]:
    return {p.stem for p in (CHANNELS / platform).glob("*.py") if p.stem != "__init__"}


def imported(path: Path) -> set[str]:
    """Every imported name in full: `from aiohttp import web` is aiohttp.web."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def all_on() -> Settings:
    """Every platform configured (nothing is started: create_app does no I/O)."""
    return Settings(
        database_url="sqlite://:memory:", channel="wecom", seed_demo=False,
        sim_enabled=True, sim_token="adapter-shape-sim-login-token",
        wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET,
        wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_api_base="http://127.0.0.1:9",
        dingtalk_app_key=APP_KEY, dingtalk_app_secret=APP_SECRET,
        dingtalk_robot_code=ROBOT_CODE, dingtalk_mode="http",
        dingtalk_card_template_id=TEMPLATE_ID, dingtalk_api_base="http://127.0.0.1:9",
        dingtalk_oapi_base="http://127.0.0.1:9",
        dingtalk_card_callback_url="https://bot.example.gov.cn/dingtalk/card")


async def _accept(event: IncomingEvent) -> None:
    raise AssertionError("nothing is taken in this test")


def _no_session() -> aiohttp.ClientSession:
    raise AssertionError("an adapter asked for the session while being built")


def test_the_platforms_are_packages() -> None:
    assert {"wecom", "dingtalk", "sim"} <= set(PLATFORMS)
    flat = sorted(p.name for p in CHANNELS.glob("*.py"))
    assert flat == ["__init__.py", "base.py", "media_io.py"], "platform code outside a package"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_has_the_same_modules(platform: str) -> None:
    have = modules(platform)
    required = REQUIRED if platform in NO_SERVER else REQUIRED | REMOTE
    assert required <= have, f"{platform} lacks {sorted(required - have)}"
    assert have - required <= EXTRAS.get(platform, set()), \
        f"{platform} has modules no other platform has: {sorted(have - required)}"


@pytest.mark.parametrize("platform", sorted(NO_SERVER))
def test_a_platform_without_api_calls_no_server(platform: str) -> None:
    """Exempt from api.py only while true: it opens no HTTP client of its own."""
    assert "api" not in modules(platform)
    for path in (CHANNELS / platform).glob("*.py"):
        client = {m for m in imported(path) if m.split(".")[0] == "aiohttp"
                  and not any(m == s or m.startswith(s + ".") for s in SERVING_ONLY)}
        assert not client, f"{path.name} imports {sorted(client)}"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_adapter_is_built_the_same_way(platform: str) -> None:
    package = importlib.import_module(f"bot.channels.{platform}")
    adapter_module = importlib.import_module(f"bot.channels.{platform}.adapter")
    build = adapter_module.build
    expected = inspect.signature(Build.__call__).parameters
    params = inspect.signature(build).parameters
    assert [(p.name, p.kind) for p in params.values()] == \
        [(p.name, p.kind) for p in list(expected.values())[1:]]  # without self
    adapter = build(all_on(), accept=_accept, session=_no_session)
    assert isinstance(adapter, Adapter)
    assert adapter.name == package.NAME == platform
    assert all(isinstance(route, aiohttp.web.RouteDef) for route in adapter.routes())


def test_app_imports_only_the_protocol_and_the_adapters() -> None:
    """bot/app.py knows a platform only by its adapter module (to choose which are on)."""
    tree = ast.parse((ROOT / "bot" / "app.py").read_text(encoding="utf-8"))
    imports = {(node.module, alias.name, alias.asname) for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                   "bot.channels") for alias in node.names}
    expected = {(f"bot.channels.{p}", "adapter", p) for p in PLATFORMS}
    assert {i for i in imports if i[0] != "bot.channels.base"} == expected
    for platform in PLATFORMS:
        # nothing but the factory of a platform is named in the wiring
        named = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                 and isinstance(n.value, ast.Name) and n.value.id == platform}
        assert named == {"build"}, f"app.py uses {platform}.{sorted(named - {'build'})}"


def test_create_app_wires_every_platform_through_the_protocol() -> None:
    settings = all_on()
    assert {build.__module__ for build in configured(settings)} == \
        {f"bot.channels.{p}.adapter" for p in PLATFORMS}, "a platform package is not wired"
    app = create_app(settings)
    channels = app[channels_key]
    assert sorted(channels) == PLATFORMS
    assert set(app[inbox_key].prepare) == set(PLATFORMS)
    registered: set[tuple[str, str]] = {
        (route.method, route.resource.canonical) for route in app.router.routes()
        if route.resource is not None}
    for adapter in channels.values():
        assert isinstance(adapter, Adapter)
        wanted: set[tuple[str, Any]] = {(r.method, r.path) for r in adapter.routes()
                                        if isinstance(r, aiohttp.web.RouteDef)}
        assert wanted, f"{adapter.name} serves no route in this configuration"
        assert wanted <= registered, f"{adapter.name}: {sorted(wanted - registered)}"


def test_a_card_with_the_most_buttons_a_handler_gives_keeps_them_all_on_wecom() -> None:
    """Handlers stop at bot.events.CARD_MAX_BUTTONS (the 转交 people, the return reasons);
    WeCom's template card must carry that many, or the last would be cut off unseen."""
    from bot.channels.wecom.cards import template_card
    from bot.events import CARD_MAX_BUTTONS, Button, OutgoingCard

    buttons = tuple(Button(key=f"k:{i}", label=str(i)) for i in range(CARD_MAX_BUTTONS))
    card = OutgoingCard(title="t", body_md="b", card_ref="r", buttons=buttons)
    keys = [b["key"] for b in template_card(card, "task")["button_list"]]
    assert keys == [b.key for b in buttons]
