"""create_app(settings): the one place that wires channels, dispatcher, outbox and DB."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot import demo
from bot.channels import sim
from bot.channels.base import Channel
from bot.config import Settings
from bot.db import close_db, init_db
from bot.dispatcher import Dispatcher
from bot.events import IncomingEvent
from bot.keys import channels_key, dispatcher_key, http_key, sender_key, settings_key, tasks_key
from bot.outbox import Sender
from bot.policy import load_policy
from bot.scheduler import scheduler_ctx
from bot.tasks import BackgroundTasks
from handlers import ROUTERS
from models.system import Outbox

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)
DRAIN_SECONDS = 10


async def http_ctx(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
        app[http_key] = session
        yield


async def db_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    await init_db(settings.database_url, generate_schemas=settings.db_generate_schemas)
    if settings.seed_demo:
        await demo.seed_if_empty()
    yield
    await close_db()


async def tasks_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[tasks_key].drain(timeout=DRAIN_SECONDS)


async def sender_ctx(app: web.Application) -> AsyncIterator[None]:
    loop_task = asyncio.create_task(app[sender_key].run())
    yield
    loop_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await loop_task


async def healthz(request: web.Request) -> web.Response:
    pending = await Outbox.filter(status="pending").count()
    return web.json_response({"status": "ok", "outbox_pending": pending})


def build_channels(settings: Settings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if settings.sim_enabled:
        channels[sim.NAME] = sim.SimChannel()
    # 企业微信 / 政务微信

    # 钉钉

    return channels


def create_app(settings: Settings) -> web.Application:
    """Build the application; no I/O happens until it starts."""
    app = web.Application()
    app[settings_key] = settings
    channels = build_channels(settings)
    sender = Sender(channels, max_attempts=settings.outbox_max_attempts,
                    poll_seconds=settings.outbox_poll_seconds)
    dispatcher = Dispatcher(settings, load_policy(settings.policy), on_commit=sender.wake)
    dispatcher.include_routers(*ROUTERS)
    tasks = BackgroundTasks()
    app[channels_key] = channels
    app[sender_key] = sender
    app[dispatcher_key] = dispatcher
    app[tasks_key] = tasks

    def feed(event: IncomingEvent) -> None:
        tasks.spawn(dispatcher.feed(event))

    app.router.add_get("/healthz", healthz)
    if settings.sim_enabled:
        app.router.add_routes(sim.routes(feed))
        app.router.add_get("/", _redirect_to_sim)
    # teardown runs in reverse: the scheduler and the sender stop first, tasks drain,
    # then the DB closes
    app.cleanup_ctx.extend([http_ctx, db_ctx, tasks_ctx, sender_ctx, scheduler_ctx])
    return app


async def _redirect_to_sim(request: web.Request) -> web.Response:
    raise web.HTTPFound("/sim/")
