"""create_app(settings): the one place that wires channels, dispatcher, outbox and DB."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import aiohttp
from aiohttp import web

from bot import audit, bodies, demo, links, ops, redact
from bot import web as pages
from bot.channels.base import Adapter, Build, Channel, MediaSource, Session
from bot.channels.dingtalk import adapter as dingtalk
from bot.channels.sim import adapter as sim
from bot.channels.wecom import adapter as wecom
from bot.closer import Closer
from bot.config import Settings, public_url_warning
from bot.db import close_db, open_db
from bot.dispatcher import Dispatcher
from bot.errors import ChannelNetworkError, DomainError
from bot.events import IncomingEvent
from bot.foreground import Foreground
from bot.health import Health
from bot.inbox import Inbox
from bot.keys import (
    channels_key,
    dispatcher_key,
    health_key,
    http_key,
    inbox_key,
    metrics_key,
    sender_key,
    settings_key,
    tasks_key,
)
from bot.media import Upload
from bot.metrics import Metrics
from bot.outbox import Sender
from bot.policy import load_policy
from bot.scheduler import scheduler_ctx
from bot.tasks import BackgroundTasks
from handlers import ROUTERS
from handlers.general.delivery import report_undeliverable

log = logging.getLogger(__name__)

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)
DRAIN_SECONDS = 10


async def http_ctx(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
        app[http_key] = session
        yield


async def db_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    before = audit.keyring()
    audit.use_keys(audit.load_keyring(settings.audit_key, settings.audit_key_file))
    await open_db(settings.database_url, create_if_empty=settings.db_generate_schemas)
    await audit.seal()  # a key configured over a plain chain: anchor it now
    if settings.seed_demo:
        await demo.seed_if_empty()
    await links.secret_for(settings)  # made once, outside any handler's transaction
    yield
    await close_db()
    audit.use_keys(before)


async def tasks_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[tasks_key].drain(timeout=DRAIN_SECONDS)


async def inbox_ctx(app: web.Application) -> AsyncIterator[None]:
    """Take callbacks into the inbox and resume what a crash or a stop left pending."""
    inbox = app[inbox_key]
    inbox.start()
    yield
    # no request is in flight by now; the pass in progress is drained with the tasks
    await inbox.stop()


async def sender_ctx(app: web.Application) -> AsyncIterator[None]:
    sender = app[sender_key]
    loop_task = asyncio.create_task(sender.run())
    yield
    # let the pass in progress finish (no row left half-delivered), then cancel
    sender.stop()
    # on timeout wait_for cancels it; a claimed row's lease then expires and it is retried
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(loop_task, DRAIN_SECONDS)


async def closer_ctx(app: web.Application) -> AsyncIterator[None]:
    """Join windows of drafts coming in several messages close here (bot/closer.py)."""
    closer = Closer(app[dispatcher_key].feed)
    task = asyncio.create_task(closer.run())
    yield
    closer.stop()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(task, DRAIN_SECONDS)


def media_fetcher(channels: dict[str, Channel], settings: Settings
                  ) -> Callable[[IncomingEvent], Awaitable[Upload]]:
    """The channel an attachment came through fetches it, up to the largest file we take."""
    limit = int(max(settings.draft_file_max_mb, settings.picture_max_mb) * 1024 * 1024)

    async def fetch(event: IncomingEvent) -> Upload:
        channel = channels.get(event.channel)
        if not isinstance(channel, MediaSource) or event.attachment is None:
            raise DomainError("draft.files_unsupported")
        return await channel.fetch_media(event.attachment, limit)

    return fetch


def configured(settings: Settings) -> list[Build]:
    """The platforms this deployment talks to; every one is wired the same way."""
    builds: list[Build] = []
    if settings.sim_enabled:
        builds.append(sim.build)
    if settings.wecom_enabled:  # 企业微信 / 政务微信
        builds.append(wecom.build)
    if settings.dingtalk_enabled:  # 钉钉
        builds.append(dingtalk.build)
    return builds


def shared_session(app: web.Application) -> Session:
    """The app's ClientSession, once http_ctx has opened it."""

    def session() -> aiohttp.ClientSession:
        try:
            return app[http_key]
        except KeyError:
            raise ChannelNetworkError("the app has not started") from None

    return session


def adapters_ctx(adapters: Sequence[Adapter]
                 ) -> Callable[[web.Application], AsyncIterator[None]]:
    """Start every adapter once the inbox takes events; close them before it stops."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        started: list[Adapter] = []
        try:
            for adapter in adapters:
                await adapter.start()
                started.append(adapter)
            yield
        finally:
            for adapter in reversed(started):
                await adapter.close()

    return ctx


def install(app: web.Application, inbox: Inbox, adapters: Sequence[Adapter]) -> None:
    """Each adapter's routes, middlewares and inbox hook, the same way for every platform."""
    for adapter in adapters:
        app.middlewares.extend(adapter.middlewares())
        app.router.add_routes(adapter.routes())
        inbox.prepare[adapter.name] = adapter.prepare


def create_app(settings: Settings) -> web.Application:
    """Build the application; no I/O happens until it starts."""
    # the simulator's uploads are the largest requests (platform callbacks check their own)
    upload_limit = max(settings.draft_file_max_mb, settings.picture_max_mb) * 1024 * 1024
    app = web.Application(client_max_size=int(upload_limit) + 1024 * 1024)
    app[settings_key] = settings
    redact.configure(redact.settings_secrets(settings))
    redact.install()
    bodies.quiet_protocol_errors()
    warning = public_url_warning(settings)
    if warning:
        log.warning("%s", warning)
    channels: dict[str, Channel] = {}  # filled below, once the inbox exists to take events
    metrics = Metrics()
    health = Health()
    health.add_check("database", ops.database_check(settings.health_db_timeout_seconds))
    health.add_check("outbox", ops.outbox_check(settings.health_outbox_max_age_seconds))
    health.add_check("inbox", ops.inbox_check(settings.health_outbox_max_age_seconds))

    async def undeliverable(channel: str, user_id: str, reason: str) -> None:
        await report_undeliverable(settings, channel, user_id, reason)

    foreground = Foreground()  # people's events before the sender's bulk rows
    sender = Sender(channels, max_attempts=settings.outbox_max_attempts,
                    poll_seconds=settings.outbox_poll_seconds,
                    lease_seconds=settings.outbox_lease_seconds,
                    concurrency=settings.outbox_send_concurrency, foreground=foreground,
                    on_undeliverable=undeliverable, metrics=metrics,
                    heartbeat=health.heartbeat("outbox_sender",
                                               settings.health_heartbeat_max_age_seconds))
    policy = load_policy(settings.policy)
    dispatcher = Dispatcher(settings, policy, on_commit=sender.wake, metrics=metrics,
                            fetch_media=media_fetcher(channels, settings))
    dispatcher.include_routers(*ROUTERS)
    tasks = BackgroundTasks()
    inbox = Inbox(foreground.wrap(dispatcher.feed), spawn=tasks.spawn,
                  lease_seconds=settings.inbox_lease_seconds,
                  poll_seconds=settings.outbox_poll_seconds,
                  max_attempts=settings.outbox_max_attempts,
                  heartbeat=health.heartbeat("inbox_pump",
                                             settings.health_heartbeat_max_age_seconds))
    adapters = [build(settings, accept=inbox.accept, session=shared_session(app))
                for build in configured(settings)]
    channels.update((adapter.name, adapter) for adapter in adapters)
    app[channels_key] = channels
    app[sender_key] = sender
    app[dispatcher_key] = dispatcher
    app[tasks_key] = tasks
    app[inbox_key] = inbox
    app[metrics_key] = metrics
    app[health_key] = health

    app.router.add_routes(ops.routes())
    app.router.add_routes(pages.routes(settings, policy))
    install(app, inbox, adapters)
    # teardown runs in reverse: the scheduler stops scanning, channels stop taking events,
    # the inbox stops, in-flight handlers finish while the sender still delivers their
    # replies, then the sender finishes its pass, then the DB closes (SIGTERM too)
    app.cleanup_ctx.extend([http_ctx, db_ctx, sender_ctx, tasks_ctx, inbox_ctx,
                            adapters_ctx(adapters), closer_ctx, scheduler_ctx])
    return app
