"""Operations endpoints: /healthz (200 or 503 with reasons) and /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import cast

from aiohttp import web
from tortoise import connections

from bot.clock import utcnow
from bot.health import Check, CheckResult
from bot.keys import health_key, metrics_key
from bot.metrics import CONTENT_TYPE
from models.system import InboundEvent, Outbox

log = logging.getLogger(__name__)


def database_check(timeout: float) -> Check:
    """The database answers a trivial query within `timeout` seconds."""

    async def check() -> CheckResult:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                await connections.get("default").execute_query("SELECT 1")
        except TimeoutError:
            return CheckResult(False, "timeout", {"timeout_seconds": timeout})
        except Exception as exc:
            # the type only: a driver's message may quote the connection URL
            return CheckResult(False, "unreachable", {"error": type(exc).__name__})
        return CheckResult(True, details={"latency_ms": round(
            (time.perf_counter() - started) * 1000, 2)})

    return check


async def outbox_backlog() -> tuple[int, float | None]:
    """How many messages are undelivered, and the age in seconds of the oldest one."""
    pending = Outbox.filter(status="pending")
    count = await pending.count()
    oldest = cast(list[datetime], await pending.order_by("id").limit(1)
                  .values_list("created_at", flat=True))
    if not oldest:
        return count, None
    return count, max(0.0, (utcnow() - oldest[0]).total_seconds())


def outbox_check(max_age: float) -> Check:
    """Nothing waits in the outbox for longer than `max_age` seconds."""

    async def check() -> CheckResult:
        count, age = await outbox_backlog()
        details = {"pending": count, "oldest_pending_age_seconds": None if age is None
                   else round(age, 3), "max_age_seconds": max_age}
        if age is not None and age > max_age:
            return CheckResult(False, "oldest_pending_too_old", details)
        return CheckResult(True, details=details)

    return check


def inbox_check(max_age: float) -> Check:
    """No acknowledged event waits in the inbox for longer than `max_age` seconds; events
    given up after repeated failures are counted (someone should look at the log)."""

    async def check() -> CheckResult:
        pending = InboundEvent.filter(status="pending")
        count = await pending.count()
        oldest = cast(list[datetime], await pending.order_by("id").limit(1)
                      .values_list("received_at", flat=True))
        age = max(0.0, (utcnow() - oldest[0]).total_seconds()) if oldest else None
        details = {"pending": count, "failed": await InboundEvent.filter(status="failed").count(),
                   "oldest_pending_age_seconds": None if age is None else round(age, 3),
                   "max_age_seconds": max_age}
        if age is not None and age > max_age:
            return CheckResult(False, "oldest_pending_too_old", details)
        return CheckResult(True, details=details)

    return check


async def healthz(request: web.Request) -> web.Response:
    healthy, report = await request.app[health_key].report()
    return web.json_response(report, status=200 if healthy else 503)


async def metrics_view(request: web.Request) -> web.Response:
    metrics = request.app[metrics_key]
    try:
        count, age = await outbox_backlog()
    except Exception as exc:
        # still expose the other series; /healthz reports the database
        log.warning("outbox backlog for /metrics failed: %s", type(exc).__name__)
    else:
        metrics.outbox_backlog.set(count)
        metrics.outbox_oldest_age.set(age or 0.0)
    return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})


def routes() -> list[web.RouteDef]:
    return [web.get("/healthz", healthz), web.get("/metrics", metrics_view)]
