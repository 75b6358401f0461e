"""`govmedia org load FILE` and `govmedia org export`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path

from bot import orgfile
from bot.cli.common import Subparsers, db_command, err
from bot.config import Settings
from bot.errors import os_reason
from bot.rendering import msg


def register(sub: Subparsers) -> None:
    actions = sub.add_parser("org", help=msg("cli.org_help")).add_subparsers(
        dest="action", required=True)
    load = actions.add_parser("load", help=msg("cli.org_load_help"))
    load.add_argument("file")
    load.set_defaults(run=db_command(_load))
    actions.add_parser("export", help=msg("cli.org_export_help")).set_defaults(
        run=db_command(_export))


async def _load(settings: Settings, args: argparse.Namespace) -> int:
    path = args.file
    try:
        text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
    except OSError as exc:
        err(msg("org.read_failed", path=path, error=os_reason(exc)))
        return 2
    try:
        summary = await orgfile.apply(orgfile.parse(text), tz=settings.tz)
    except orgfile.OrgFileError as exc:
        err(str(exc))
        return 1
    if not summary.changed:
        print(msg("org.unchanged"))
    else:
        print(msg("org.loaded", created=_counts(summary.created),
                  updated=_counts(summary.updated), deactivated=_counts(summary.deactivated)))
    if summary.backfilled:  # issue 14: each account it touched has a 补录
        print(msg("bootstrap.backfilled", count=summary.backfilled))
    if summary.unchecked:  # rule R-SEC-6
        print(msg("org.unchecked_admins", names=summary.unchecked))
    return 0


def _counts(counter: Counter[str]) -> str:
    labels = {"units": msg("cli.units"), "people": msg("cli.people"),
              "accounts": msg("cli.accounts")}
    return msg("org.counts", counts=[(labels[k], v) for k, v in sorted(counter.items()) if v])


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    sys.stdout.write(await orgfile.export(settings.tz))
    return 0
