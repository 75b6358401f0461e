"""The `govmedia` command: serve, org load/export, audit verify/export, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import audit, backup, ledger_io, logs, orgfile
from bot.config import Settings, load_settings, sqlite_path, with_overrides
from bot.db import SchemaError, close_db, connect, open_db, upgrade
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
    accounts = sub.add_parser("accounts", help=msg("ledger.cli_help")) \
        .add_subparsers(dest="action", required=True)
    imp = accounts.add_parser("import", help=msg("ledger.cli_import_help"))
    imp.add_argument("file")
    imp.add_argument("--skip-bad", action="store_true", help=msg("ledger.cli_skip_bad_help"))
    exp = accounts.add_parser("export", help=msg("ledger.cli_export_help"))
    exp.add_argument("--format", choices=ledger_io.EXPORT_FORMATS, default="csv")
    exp.add_argument("--output", help=msg("ledger.cli_output_help"))
    db = sub.add_parser("db", help=msg("cli.db_help")).add_subparsers(dest="action",
                                                                      required=True)
    db.add_parser("upgrade", help=msg("cli.db_upgrade_help"))
    db.add_parser("backup", help=msg("ops.cli_backup_help")).add_argument("file")
    remind = sub.add_parser("remind", help=msg("cli.remind_help"))
    remind.add_argument("--now", help=msg("cli.remind_now_help"))
    return parser


async def _with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    try:
        await open_db(settings.database_url)
    except SchemaError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        return await work()
    finally:
        await close_db()


async def _org_load(path: str) -> int:
    try:
        text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
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


async def _db_upgrade(settings: Settings) -> int:
    await connect(settings.database_url)
    try:
        applied = await upgrade()
    finally:
        await close_db()
    print(msg("db.upgraded", applied=applied) if applied else msg("db.up_to_date"))
    return 0


async def _schema_ready(settings: Settings) -> int:
    """Before serving: create an empty database's schema, refuse one that is behind."""
    try:
        await open_db(settings.database_url, create_if_empty=settings.db_generate_schemas)
    except SchemaError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    await close_db()
    return 0


async def _accounts_import(settings: Settings, path: str, skip_bad: bool) -> int:
    try:
        result = await ledger_io.import_ledger(path, settings.tz, skip_bad=skip_bad)
    except ledger_io.LedgerFileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for error in result.errors:
        print(msg("ledger.row_error", row=error.row, reason=error.reason), file=sys.stderr)
    if not result.written:
        print(msg("ledger.nothing_written", count=len(result.errors)), file=sys.stderr)
        return 1
    print(msg("ledger.imported", created=result.created, updated=result.updated,
              skipped=len(result.errors)))
    return 0


async def _accounts_export(settings: Settings, fmt: str, output: str | None) -> int:
    rows = await ledger_io.ledger_rows(settings.tz)
    if fmt == "xlsx" and not output:
        print(msg("ledger.xlsx_needs_output"), file=sys.stderr)
        return 2
    try:
        if fmt == "xlsx":
            ledger_io.write_xlsx(rows, output or "")
        elif output:
            await asyncio.to_thread(Path(output).write_text, ledger_io.to_csv(rows),
                                    encoding="utf-8-sig", newline="")
        else:
            sys.stdout.write(ledger_io.to_csv(rows))
    except OSError as exc:
        print(msg("ledger.write_failed", path=output, error=exc.strerror), file=sys.stderr)
        return 1
    if output:
        print(msg("ledger.exported", count=len(rows) - 1, path=output))
    return 0


async def _db_backup(settings: Settings, file: str) -> int:
    """Without Tortoise: the copy must not create or change any table."""
    source = sqlite_path(settings.database_url)
    if source is None:
        in_memory = settings.database_url.startswith("sqlite://")
        print(msg("ops.backup_memory") if in_memory else
              backup.dump_hint(settings.database_url, file), file=sys.stderr)
        if settings.file_store_dir and not in_memory:
            print(msg("ops.backup_files_hint", path=settings.file_store_dir), file=sys.stderr)
        return 2
    try:
        size = await backup.sqlite_backup(source, Path(file))
        files = None
        if settings.file_store_dir:  # sent files kept outside the database go along
            target = backup.files_target(Path(file))
            files = (target, await backup.files_backup(Path(settings.file_store_dir), target))
    except backup.BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(msg("ops.backup_done", path=file, size=size))
    if files:
        print(msg("ops.backup_files_done", path=files[0], count=files[1]))
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

    if asyncio.run(_schema_ready(settings)):
        return 2
    print(msg("cli.serving", host=settings.host, port=settings.port,
              sim=settings.sim_enabled), flush=True)
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
    logs.configure(settings.log_level, settings.log_format)
    if args.command == "serve":
        return _serve(settings)
    if args.command == "remind":
        return _remind(settings, args.now)
    if (args.command, args.action) == ("db", "backup"):
        return asyncio.run(_db_backup(settings, args.file))
    if (args.command, args.action) == ("db", "upgrade"):
        return asyncio.run(_db_upgrade(settings))
    jobs: dict[tuple[str, str], Callable[[], Awaitable[int]]] = {
        ("org", "load"): lambda: _org_load(args.file),
        ("org", "export"): _org_export,
        ("audit", "verify"): _audit_verify,
        ("audit", "export"): _audit_export,
        ("accounts", "import"): lambda: _accounts_import(settings, args.file, args.skip_bad),
        ("accounts", "export"): lambda: _accounts_export(settings, args.format, args.output),
    }
    return asyncio.run(_with_db(settings, jobs[(args.command, args.action)]))
