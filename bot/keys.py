"""Every aiohttp AppKey in one place."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.base import Channel
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.health import Health
from bot.inbox import Inbox
from bot.metrics import Metrics
from bot.outbox import Sender
from bot.tasks import BackgroundTasks

settings_key = web.AppKey("settings", Settings)
http_key = web.AppKey("http", aiohttp.ClientSession)
dispatcher_key = web.AppKey("dispatcher", Dispatcher)
channels_key = web.AppKey("channels", dict[str, Channel])
tasks_key = web.AppKey("tasks", BackgroundTasks)
inbox_key = web.AppKey("inbox", Inbox)
sender_key = web.AppKey("sender", Sender)
health_key = web.AppKey("health", Health)
metrics_key = web.AppKey("metrics", Metrics)
scheduler_key = web.AppKey("scheduler", AsyncIOScheduler)
