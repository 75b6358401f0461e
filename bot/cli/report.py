"""`govmedia report record N`, `report records --from --to [--unit]`, `report inspection
--quarter YYYYQn [--unit]`: the review record, the register and the quarterly report as
PDF or XLSX files (issue 17)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.common import Subparsers, db_command, err
from bot.config import Settings
from bot.errors import DomainError
from bot.ledger import parse_date
from bot.policy import load_policy
from bot.rendering import msg

FORMATS = ("pdf", "xlsx")


def register(sub: Subparsers) -> None:
    actions = sub.add_parser("report", help=msg("reports.cli_help")).add_subparsers(
        dest="action", required=True)
    record = actions.add_parser("record", help=msg("reports.cli_record_help"))
    record.add_argument("draft", type=int)
    records = actions.add_parser("records", help=msg("reports.cli_records_help"))
    records.add_argument("--from", dest="first", required=True, help=msg("reports.cli_from_help"))
    records.add_argument("--to", dest="last", required=True, help=msg("reports.cli_to_help"))
    records.add_argument("--unit", help=msg("reports.cli_unit_help"))
    inspection = actions.add_parser("inspection", help=msg("reports.cli_inspection_help"))
    inspection.add_argument("--quarter", required=True, help=msg("reports.cli_quarter_help"))
    inspection.add_argument("--unit", help=msg("reports.cli_unit_help"))
    for parser in (record, records, inspection):
        parser.add_argument("--format", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help=msg("reports.cli_output_help"))
        parser.set_defaults(run=db_command(_report))


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.reports import files  # the report modules load only for this command

    policy = load_policy(settings.policy)
    try:
        if args.action == "record":
            out = await files.record_file(args.draft, args.format, policy, settings.tz)
        elif args.action == "records":
            out = await files.register_file(parse_date(args.first), parse_date(args.last),
                                            args.unit, args.format, policy, settings.tz)
        else:
            out = await files.inspection_file(args.quarter, args.unit, args.format, policy,
                                              settings.tz)
    except DomainError as exc:
        err(exc.text())
        return 1
    try:
        await asyncio.to_thread(Path(args.output).write_bytes, out.data)
    except OSError as exc:
        err(msg("reports.cli_write_failed", path=args.output, error=exc.strerror))
        return 1
    print(msg("reports.cli_written", path=args.output, size=max(1, len(out.data) // 1024),
              count=out.head.count, hash=out.head.hash))
    return 0
