"""`govmedia remind [--now ISO-TIME] [--dry-run]`: one reminder scan at that time."""

from __future__ import annotations

import argparse

from bot.cli.common import Subparsers, db_command, err
from bot.config import Settings
from bot.rendering import msg


def register(sub: Subparsers) -> None:
    remind = sub.add_parser("remind", help=msg("cli.remind_help"),
                            description=msg("cli.remind_help"))
    remind.add_argument("--now", help=msg("cli.remind_now_help"))
    remind.add_argument("--dry-run", action="store_true", help=msg("reminders.cli_dry_run_help"))
    remind.set_defaults(run=db_command(_remind))


async def _remind(settings: Settings, args: argparse.Namespace) -> int:
    """Naive times are in the office's zone; a real run sends, a dry run changes nothing."""
    from bot.scheduler import parse_now, run_scan

    try:
        now = parse_now(args.now, settings.tz)
    except ValueError:
        err(msg("reminders.cli_bad_time", value=args.now))
        return 2
    report = await run_scan(settings, now, dry_run=args.dry_run)
    local = now.astimezone(settings.tz).isoformat()
    if not args.dry_run:
        print(msg("reminders.cli_done", now=local, claimed=report.claimed,
                  messages=report.messages, quiet=report.quiet))
        return 0
    print(msg("reminders.cli_dry_done", now=local, claimed=report.claimed,
              messages=report.messages, quiet=report.quiet))
    for item in report.planned:
        print(msg("reminders.cli_dry_item", name=item.name, channel=item.channel,
                  address=item.address))
        print(item.text)
    return 0
