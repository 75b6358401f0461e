"""钉钉 HTTP callback routes and the channel's start-up/shutdown context.

HTTP mode: POST /dingtalk/callback (robot messages) and POST /dingtalk/card (card taps,
registered with /v1.0/card/callbacks/register). Both are signed with the timestamp/sign
headers; bad input is a 4xx and changes nothing. Stream mode serves no route.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from bot.bodies import loads_json, read_body
from bot.channels.base import take
from bot.channels.dingtalk import (
    MAX_BODY_BYTES,
    BadCallback,
    DingTalkChannel,
    claim_signature,
    robot_event,
    verify_sign,
)
from bot.channels.dingtalk_stream import RETRY_SECONDS, Feed, StreamClient
from bot.clock import utcnow
from bot.errors import ChannelAPIError, ChannelNetworkError, SignatureError
from bot.keys import http_key

log = logging.getLogger(__name__)


async def _verified(request: web.Request, secret: str) -> tuple[bytes, Any]:
    """The raw body (read whole) and its JSON, after the size and signature checks."""
    raw = await read_body(request, MAX_BODY_BYTES)
    try:
        verify_sign(secret, request.headers.get("timestamp"), request.headers.get("sign"),
                    utcnow())
    except SignatureError as exc:
        log.warning("dingtalk callback refused from %s: %s", request.remote, exc)
        raise web.HTTPForbidden(text="bad signature") from None
    try:
        return raw, loads_json(raw)
    except ValueError:  # not UTF-8, not JSON, nested too deep, a lone surrogate
        raise web.HTTPBadRequest(text="body is not JSON") from None


async def _claim(request: web.Request, event_id: str) -> None:
    """One body per (timestamp, sign) pair: the sign covers no body (issue 13 item 4)."""
    if not await claim_signature(request.headers["timestamp"], request.headers["sign"],
                                 event_id):
        log.warning("dingtalk callback refused from %s: signature reused for another event "
                    "(%s)", request.remote, event_id)
        raise web.HTTPForbidden(text="signature already used")


def routes(channel: DingTalkChannel, feed: Feed) -> list[web.RouteDef]:
    secret = channel.settings.dingtalk_app_secret

    async def robot(request: web.Request) -> web.Response:
        _, data = await _verified(request, secret)
        try:
            await _claim(request, robot_event(data).event_id)
            event = await channel.accept_message(data)
        except BadCallback as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        await take(feed, event)
        return web.json_response({})

    async def card(request: web.Request) -> web.Response:
        raw, data = await _verified(request, secret)
        # an HTTP card callback carries no id of its own; a platform retry repeats the body
        digest = hashlib.sha256(raw).hexdigest()[:40]
        await _claim(request, f"card:{digest}")
        try:
            event = await channel.accept_card(data, digest)
        except BadCallback as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        await take(feed, event)
        return web.json_response({})

    return [web.post("/dingtalk/callback", robot), web.post("/dingtalk/card", card)]


def install(app: web.Application, channel: DingTalkChannel, feed: Feed,
            *, retry_seconds: float = RETRY_SECONDS
            ) -> Callable[[web.Application], AsyncIterator[None]]:
    """Add the routes of the configured mode; return the context that runs the channel."""
    if channel.settings.dingtalk_mode == "http":
        app.router.add_routes(routes(channel, feed))

    async def dingtalk_ctx(app: web.Application) -> AsyncIterator[None]:
        channel.api.bind(app[http_key])
        task: asyncio.Task[None] | None = None
        if channel.settings.dingtalk_mode == "stream":
            client = StreamClient(channel, feed, retry_seconds=retry_seconds)
            task = asyncio.create_task(client.run())
        elif channel.settings.dingtalk_card_template_id:
            await _register(channel)
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return dingtalk_ctx


async def _register(channel: DingTalkChannel) -> None:
    try:
        await channel.register_card_callback()
    except (ChannelAPIError, ChannelNetworkError) as exc:
        # the bot still works (typed commands); taps fail until the route is registered
        log.error("dingtalk: registering the card callback URL failed: %s", exc)
