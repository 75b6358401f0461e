"""/healthz through create_app: the database, the outbox sender's heartbeat and the age
of the oldest undelivered message; 503 with the reasons when any of them is wrong."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from tortoise import connections
from tortoise.exceptions import OperationalError

from bot.app import create_app
from bot.clock import utcnow
from bot.config import Settings
from bot.health import CheckResult, Health
from bot.keys import health_key, tasks_key
from models.system import Outbox
from tests.ops_support import clean_settings, without_sender
from tests.test_app import DRAFT


@pytest.fixture
async def app_settings(backend: str, tmp_path: Path) -> Settings:
    return await clean_settings(backend, tmp_path)


async def health(client: TestClient) -> tuple[int, dict[str, Any]]:
    resp = await client.get("/healthz")
    return resp.status, await resp.json()


async def test_healthy_app_reports_every_check(aiohttp_client, app_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(app_settings))
    status, body = await health(client)
    assert status == 200, body
    assert body["status"] == "ok" and body["reasons"] == []
    checks = body["checks"]
    assert set(checks) == {"database", "outbox", "outbox_sender", "inbox", "inbox_pump", "scheduler"}
    assert all(c["ok"] for c in checks.values())
    assert checks["outbox"]["pending"] == 0
    assert checks["outbox"]["oldest_pending_age_seconds"] is None
    assert checks["outbox_sender"]["beaten"] is True


async def test_sender_that_never_ran_is_unhealthy(aiohttp_client, app_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app = without_sender(create_app(app_settings))
    client = await aiohttp_client(app)
    beat = app[health_key].heartbeats["outbox_sender"]
    assert (await health(client))[0] == 200  # just started: within its max age
    beat.registered_at -= app_settings.health_heartbeat_max_age_seconds + 1
    status, body = await health(client)
    assert status == 503
    assert body["status"] == "unhealthy" and body["reasons"] == ["outbox_sender: never_ran"]
    assert body["checks"]["outbox_sender"]["beaten"] is False


async def test_stale_sender_is_unhealthy(aiohttp_client, app_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    # a long poll: after its first pass the loop sleeps, as a hung loop would
    settings = dataclasses.replace(app_settings, outbox_poll_seconds=3600)
    app = create_app(settings)
    client = await aiohttp_client(app)
    beat = app[health_key].heartbeats["outbox_sender"]
    assert beat.last_beat is not None
    beat.last_beat -= 500
    status, body = await health(client)
    assert status == 503 and body["reasons"] == ["outbox_sender: stale"]
    assert body["checks"]["outbox_sender"]["age_seconds"] >= 500


async def test_old_undelivered_message_is_unhealthy(aiohttp_client, app_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app = without_sender(create_app(app_settings))
    client = await aiohttp_client(app)
    await client.post("/sim/api/send", json={"user": "wangwu", "text": DRAFT})
    await app[tasks_key].drain()
    status, body = await health(client)
    pending = body["checks"]["outbox"]["pending"]
    assert status == 200 and pending >= 2  # the card to the reviewer and the reply
    await Outbox.filter(status="pending").update(created_at=utcnow() - timedelta(hours=1))
    status, body = await health(client)
    assert status == 503 and body["reasons"] == ["outbox: oldest_pending_too_old"]
    outbox = body["checks"]["outbox"]
    assert outbox["pending"] == pending and 3590 < outbox["oldest_pending_age_seconds"] < 3700


async def test_unreachable_database_is_unhealthy(aiohttp_client, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client = await aiohttp_client(create_app(Settings(
        database_url=f"sqlite://{tmp_path / 'down.db'}", health_db_timeout_seconds=0.05)))

    async def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is gone")

    monkeypatch.setattr(connections.get("default"), "execute_query", refuse)
    status, body = await health(client)
    assert status == 503
    assert body["reasons"] == ["database: unreachable", "outbox: error", "inbox: error"]
    assert body["checks"]["database"]["error"] == "OperationalError"


async def test_hanging_database_times_out(aiohttp_client, tmp_path: Path,  # type: ignore[no-untyped-def]
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Settings(database_url=f"sqlite://{tmp_path / 'slow.db'}",
                              health_db_timeout_seconds=0.05))
    client = await aiohttp_client(app)
    app[health_key].check_timeout = 0.1
    never = asyncio.Event()

    async def hang(*args: object, **kwargs: object) -> None:
        await never.wait()

    monkeypatch.setattr(connections.get("default"), "execute_query", hang)
    status, body = await health(client)
    assert status == 503 and body["reasons"] == ["database: timeout", "outbox: timeout",
                                                        "inbox: timeout"]
    assert body["checks"]["database"]["timeout_seconds"] == 0.05


async def test_other_components_register_checks_and_heartbeats() -> None:
    now = [1000.0]
    health = Health(clock=lambda: now[0])
    beat = health.heartbeat("scheduler", max_age=90)

    async def broken() -> CheckResult:
        raise RuntimeError("boom")

    health.add_check("broken", broken)
    with pytest.raises(ValueError, match="duplicate"):
        health.heartbeat("scheduler", max_age=1)
    ok, body = await health.report()
    assert not ok and body["reasons"] == ["broken: error"]
    assert body["checks"]["scheduler"] == {"ok": True, "age_seconds": 0, "max_age_seconds": 90,
                                           "beaten": False}
    now[0] += 91
    assert (await health.report())[1]["reasons"] == ["scheduler: never_ran", "broken: error"]
    beat.beat()
    now[0] += 90
    assert (await health.report())[1]["reasons"] == ["broken: error"]
