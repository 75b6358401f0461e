"""The `govmedia` command: serve, org load/export, audit verify/export, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from bot import audit, orgfile
from bot.config import Settings, load_settings, with_overrides
from bot.db import close_db, init_db
from bot.errors import ConfigError
from bot.policy import load_policy
from bot.rendering import msg


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govmedia", description=msg("cli.description"))
    parser.add_argument("--config", help=msg("cli.config_help"))
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help=msg("cli.serve_help"))
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    serve.add_argument("--config", dest="sub_config", help=msg("cli.config_help"))
    org = sub.add_parser("org", help=msg("cli.org_help")).add_subparsers(dest="action",
                                                                          required=True)
    org.add_parser("load", help=msg("cli.org_load_help")).add_argument("file")
    org.add_parser("export", help=msg("cli.org_export_help"))
    aud = sub.add_parser("audit", help=msg("cli.audit_help")).add_subparsers(dest="action",
                                                                             required=True)
    aud.add_parser("verify", help=msg("cli.audit_verify_help"))
    aud.add_parser("export", help=msg("cli.audit_export_help"))
    db = sub.add_parser("db", help=msg("cli.db_help")).add_subparsers(dest="action",
                                                                      required=True)
    db.add_parser("upgrade", help=msg("cli.db_upgrade_help"))
    remind = sub.add_parser("remind", help=msg("cli.remind_help"))
    remind.add_argument("--now", help=msg("cli.remind_now_help"))
    return parser


async def _with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    await init_db(settings.database_url, generate_schemas=True)
    try:
        return await work()
    finally:
        await close_db()


async def _org_load(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        print(msg("org.read_failed", path=path, error=exc.strerror), file=sys.stderr)
        return 2
    try:
        summary = await orgfile.apply(orgfile.parse(text))
    except orgfile.OrgFileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if not summary.changed:
        print(msg("org.unchanged"))
        return 0
    print(msg("org.loaded", created=_counts(summary.created), updated=_counts(summary.updated),
              deactivated=_counts(summary.deactivated)))
    return 0


def _counts(counter: Any) -> str:
    labels = {"units": msg("cli.units"), "people": msg("cli.people"),
              "accounts": msg("cli.accounts")}
    return "、".join(f"{labels[k]} {v}" for k, v in sorted(counter.items()) if v) or "0"


async def _org_export() -> int:
    sys.stdout.write(await orgfile.export())
    return 0


async def _audit_verify() -> int:
    result = await audit.verify()
    if result.ok:
        print(msg("audit.ok", count=result.count))
        return 0
    print(msg("audit.broken", seq=result.broken_at, reason=msg(f"audit.reason_{result.reason}"),
              count=result.count), file=sys.stderr)
    return 1


async def _audit_export() -> int:
    async for ev in audit.iter_events():
        sys.stdout.write(audit.canonical({"seq": ev.seq, "at": ev.at, "actor": ev.actor,
                                          "action": ev.action, "subject": ev.subject,
                                          "data": ev.data, "prev_hash": ev.prev_hash,
                                          "hash": ev.hash}) + "\n")
    return 0


async def _db_upgrade() -> int:
    print(msg("db.upgraded"))
    return 0


def _remind(settings: Settings, when: str | None) -> int:
    """`remind --now ISO-TIME`: one reminder scan at that time (naive: the office's zone)."""
    from bot.scheduler import parse_now, run_scan

    try:
        now = parse_now(when, settings.tz)
    except ValueError:
        print(msg("reminders.cli_bad_time", value=when), file=sys.stderr)
        return 2

    async def work() -> int:
        report = await run_scan(settings, now)
        print(msg("reminders.cli_done", now=now.astimezone(settings.tz).isoformat(),
                  claimed=report.claimed, messages=report.messages, quiet=report.quiet))
        return 0

    return asyncio.run(_with_db(settings, work))


def _serve(settings: Settings) -> int:
    from bot.app import create_app

    print(msg("cli.serving", host=settings.host, port=settings.port), flush=True)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0


def _settings(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    settings = load_settings(getattr(args, "sub_config", None) or args.config, environ)
    if args.command == "serve":
        overrides = {k: v for k, v in (("port", args.port), ("host", args.host)) if v is not None}
        settings = with_overrides(settings, **overrides)
    load_policy(settings.policy)
    return settings


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args, dict(os.environ if environ is None else environ))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        return _serve(settings)
    if args.command == "remind":
        return _remind(settings, args.now)
    jobs: dict[tuple[str, str], Callable[[], Awaitable[int]]] = {
        ("org", "load"): lambda: _org_load(args.file),
        ("org", "export"): _org_export,
        ("audit", "verify"): _audit_verify,
        ("audit", "export"): _audit_export,
        ("db", "upgrade"): _db_upgrade,
    }
    return asyncio.run(_with_db(settings, jobs[(args.command, args.action)]))
