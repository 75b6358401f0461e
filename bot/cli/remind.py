"""`govmedia remind [--now ISO-TIME] [--dry-run]`: one reminder scan at that time, and the
absences registered ahead that have begun (the scheduler's two jobs).

`--now` moves the scan only: what reminders are due then is worked out and sent, each
once per period. An absence begins at the real time, as the server's job begins it: a
future `--now` must not hand someone's review steps to the deputy while they are still
at their desk, nor a past one hand them over for an absence that has ended since. The
dry run counts the absences the same way, so it says what the real run would do."""

from __future__ import annotations

import argparse

from bot import clock
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
    from handlers.review.away import due_starts

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
        begun = await _start_absences(settings)
        if begun:
            print(msg("reminders.cli_absences", count=begun))
        return 0
    print(msg("reminders.cli_dry_done", now=local, claimed=report.claimed,
              messages=report.messages, quiet=report.quiet))
    begun = len(await due_starts(clock.utcnow()))
    if begun:
        print(msg("reminders.cli_dry_absences", count=begun))
    for item in report.planned:
        print(msg("reminders.cli_dry_item", name=item.name, channel=item.channel,
                  address=item.address))
        print(item.text)
    return 0


async def _start_absences(settings: Settings) -> int:
    """The scheduler's other job, now: absences registered ahead that have begun offer
    their steps to the deputy, through the dispatcher as the server does it."""
    from bot.dispatcher import Dispatcher
    from bot.policy import load_policy
    from bot.scheduler import start_absences
    from handlers import ROUTERS

    dispatcher = Dispatcher(settings, load_policy(settings.policy))
    dispatcher.include_routers(*ROUTERS)
    return await start_absences(settings, dispatcher.feed)
