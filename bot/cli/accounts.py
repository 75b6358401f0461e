"""`govmedia accounts import FILE [--skip-bad]` and `accounts export`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot import ledger_io
from bot.cli.common import Subparsers, db_command, err
from bot.config import Settings
from bot.errors import os_reason
from bot.rendering import msg


def register(sub: Subparsers) -> None:
    actions = sub.add_parser("accounts", help=msg("ledger.cli_help")).add_subparsers(
        dest="action", required=True)
    imp = actions.add_parser("import", help=msg("ledger.cli_import_help"))
    imp.add_argument("file")
    imp.add_argument("--skip-bad", action="store_true", help=msg("ledger.cli_skip_bad_help"))
    imp.set_defaults(run=db_command(_import))
    exp = actions.add_parser("export", help=msg("ledger.cli_export_help"))
    exp.add_argument("--format", choices=ledger_io.EXPORT_FORMATS, default="csv")
    exp.add_argument("--output", help=msg("ledger.cli_output_help"))
    exp.set_defaults(run=db_command(_export))


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        result = await ledger_io.import_ledger(args.file, settings.tz, skip_bad=args.skip_bad)
    except ledger_io.LedgerFileError as exc:
        err(str(exc))
        return 1
    for error in result.errors:
        err(msg("ledger.row_error", row=error.row, reason=error.reason))
    if not result.written:
        err(msg("ledger.nothing_written", count=len({e.row for e in result.errors})))
        return 1
    print(msg("ledger.imported", created=result.created, updated=result.updated,
              unchanged=result.unchanged, skipped=len({e.row for e in result.errors})))
    if result.backfilled:  # issue 14: each account it touched has a 补录
        print(msg("bootstrap.backfilled", count=result.backfilled))
    return 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    fmt, output = args.format, args.output
    if fmt == "xlsx" and not output:
        err(msg("ledger.xlsx_needs_output"))
        return 2
    rows = await ledger_io.ledger_rows(settings.tz)
    try:
        if fmt == "xlsx":
            ledger_io.write_xlsx(rows, output or "")
        elif output:
            await asyncio.to_thread(Path(output).write_text, ledger_io.to_csv(rows),
                                    encoding="utf-8-sig", newline="")
        else:
            sys.stdout.write(ledger_io.to_csv(rows))
    except OSError as exc:
        err(msg("ledger.write_failed", path=output, error=os_reason(exc)))
        return 1
    if output:
        print(msg("ledger.exported", count=len(rows) - 1, path=output))
    return 0
