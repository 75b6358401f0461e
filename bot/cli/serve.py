"""`govmedia serve [--port N] [--host H] [--config FILE]`: run the bot.

Order matters for one-line failures: the port is bound first (nothing is created when it
is taken), then the database is created or checked, then the app starts on that socket.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import socket

from aiohttp import web
from aiohttp.web_log import AccessLogger

from bot import audit
from bot.cli.common import Subparsers, err
from bot.config import Settings
from bot.db import DatabaseUnavailable, SchemaError, close_db, describe, open_db
from bot.errors import os_reason
from bot.rendering import msg

# answered many times a minute by machines (the simulator page polls its mailbox, load
# balancers and Prometheus poll health and metrics): a success there is not worth a line
POLLED = ("/sim/api/messages", "/healthz", "/metrics")


class QuietAccessLogger(AccessLogger):
    """The access log without a line for every successful poll."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if request.method == "GET" and request.path in POLLED and response.status < 400:
            return
        super().log(request, response, time)


def register(sub: Subparsers) -> None:
    serve = sub.add_parser("serve", help=msg("cli.serve_help"))
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    serve.add_argument("--config", dest="sub_config", help=msg("cli.config_help"))
    serve.set_defaults(run=run)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket; OSError when the address is taken or not ours."""
    return socket.create_server((host, port), reuse_port=False)


async def _schema_ready(settings: Settings) -> str:
    """Create an empty database's schema, refuse one that is behind; "" or the error."""
    try:
        await open_db(settings.database_url, create_if_empty=settings.db_generate_schemas)
    except (SchemaError, DatabaseUnavailable) as exc:
        return str(exc)
    try:
        keyed = (await audit.head()).key_id
    finally:
        await close_db()
    if keyed and not audit.keyring().current:
        return msg("audit.key_needed")
    return ""


def startup_line(settings: Settings) -> str:
    sim = "off" if not settings.sim_enabled else ("login" if settings.sim_token else "open")
    return msg("cli.serving", host=settings.host, port=settings.port,
               path="/sim/" if settings.sim_enabled else "/", db=describe(settings.database_url),
               channel=_channel_label(settings.channel), sim=sim, seed=settings.seed_demo,
               channels=[_channel_label(c) for c in _channels_on(settings)],
               key=audit.keyring().current)


def _channels_on(settings: Settings) -> list[str]:
    """Every channel this process serves, in the start-up line (issue 13)."""
    on = ["wecom"] if settings.wecom_enabled else []
    if settings.dingtalk_enabled:
        on.append(f"dingtalk_{settings.dingtalk_mode}")
    return [*on, "sim"] if settings.sim_enabled else on


def _channel_label(name: str) -> str:
    try:
        return msg(f"channel.{name}")
    except KeyError:
        return name


def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app

    if settings.real_channel and not audit.keyring().current:
        err(msg("audit.key_missing_real"))
        return 2
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        reason = msg("cli.port_busy") if exc.errno == errno.EADDRINUSE else os_reason(exc)
        err(msg("cli.port_in_use", host=settings.host, port=settings.port, reason=reason))
        return 2
    with sock:
        problem = asyncio.run(_schema_ready(settings))
        if problem:
            err(problem)
            return 2
        print(startup_line(settings), flush=True)
        web.run_app(create_app(settings), sock=sock, print=None,
                    access_log_class=QuietAccessLogger)
    return 0
