"""/metrics in the Prometheus text format after a review flow through the simulator, and
the dispatcher's inbound outcomes (handled / duplicate / rejected / error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot import outbox
from bot.app import create_app
from bot.channels.sim import inbound as sim
from bot.config import Settings
from bot.dispatcher import Dispatcher, HandlerContext, Router
from bot.events import IncomingEvent, OutgoingText
from bot.keys import metrics_key, sender_key, tasks_key
from bot.metrics import Metrics
from bot.policy import load_policy
from models.system import InboundEvent
from tests.ops_support import clean_settings, without_sender
from tests.test_app import DRAFT

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def app_settings(backend: str, tmp_path: Path) -> Settings:
    return await clean_settings(backend, tmp_path)


async def settle(client: TestClient) -> None:
    """Finish the handlers, then deliver (the app runs no sender loop here)."""
    await client.app[tasks_key].drain()
    await client.app[sender_key].flush()


def samples(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: TestClient) -> tuple[str, Samples]:
    resp = await client.get("/metrics")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
    text = await resp.text()
    return text, samples(text)


async def approve_current_card(client: TestClient, user: str) -> None:
    box: list[dict[str, Any]] = await (await client.get("/sim/api/messages",
                                                        params={"user": user})).json()
    key = next(b["key"] for b in box[-1]["buttons"] if b["label"] == "通过")
    await client.post("/sim/api/tap", json={"user": user, "key": key})
    await settle(client)


async def test_review_flow_shows_in_metrics(aiohttp_client, app_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(without_sender(create_app(app_settings)))
    send = {"user": "wangwu", "text": DRAFT, "event_id": "draft-1"}
    await client.post("/sim/api/send", json=send)
    await settle(client)
    await client.post("/sim/api/send", json=send)  # a platform retry: a no-op
    await client.post("/sim/api/send", json={"user": "wangwu", "text": "随便说说"})
    await settle(client)
    await approve_current_card(client, "zhangming")
    await approve_current_card(client, "liufang")

    text, found = await scrape(client)
    inbound = "govmedia_inbound_events_total"
    assert value(found, inbound, channel="sim", outcome="handled") == 3
    # the retry was stored once by the inbox and never reached a handler
    assert value(found, inbound, channel="sim", outcome="duplicate") == 0
    assert await InboundEvent.filter(channel="sim", event_id="draft-1").count() == 1
    assert value(found, inbound, channel="sim", outcome="rejected") == 1
    for level in ("2", "3"):
        assert value(found, "govmedia_review_step_seconds_count", level=level,
                     decision="approve") == 1
    assert value(found, "govmedia_outbox_delivery_seconds_count", channel="sim") >= 6
    assert value(found, "govmedia_outbox_backlog") == 0
    assert value(found, "govmedia_outbox_oldest_pending_age_seconds") == 0
    # defined for the channel adapters and the reminder engine, exposed from the start


async def test_backlog_and_failures_by_channel(aiohttp_client, app_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app = without_sender(create_app(app_settings))
    client = await aiohttp_client(app)
    await outbox.enqueue("fax", "nobody", OutgoingText("没有这个渠道"))
    await outbox.enqueue(sim.NAME, "wangwu", OutgoingText("你好"))
    _, found = await scrape(client)
    assert value(found, "govmedia_outbox_backlog") == 2
    assert value(found, "govmedia_outbox_oldest_pending_age_seconds") >= 0
    await app[sender_key].flush()
    _, found = await scrape(client)
    assert value(found, "govmedia_outbox_delivery_failures_total", channel="fax",
                 final="true") == 1
    assert value(found, "govmedia_outbox_delivery_seconds_count", channel="sim") == 1
    assert value(found, "govmedia_outbox_backlog") == 0
    assert app[metrics_key] is app[sender_key].metrics


async def test_every_inbound_outcome_is_counted(db: None, settings: Settings) -> None:
    router = Router("probe")

    @router.command("好")
    async def fine(event: IncomingEvent, ctx: HandlerContext) -> None:
        """`好`: answers."""
        await ctx.reply(ctx.text("common.empty_message"))

    @router.command("坏")
    async def broken(event: IncomingEvent, ctx: HandlerContext) -> None:
        """`坏`: fails unexpectedly."""
        raise RuntimeError("bug")

    metrics = Metrics()
    dispatcher = Dispatcher(settings, load_policy(settings.policy), metrics=metrics)
    dispatcher.include_routers(router)
    for text, event_id in (("好", "a"), ("好", "a"), ("坏", "b"), ("不认识", "c")):
        await dispatcher.feed(sim.text_event("wangwu", text, event_id))
    found = samples(metrics.exposition().decode())
    counts = {o: value(found, "govmedia_inbound_events_total", channel="sim", outcome=o)
              for o in ("handled", "duplicate", "error", "rejected")}
    assert counts == {"handled": 1, "duplicate": 1, "error": 1, "rejected": 1}
