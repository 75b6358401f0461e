"""`govmedia db upgrade` (creates the database if needed) and `db backup FILE`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot import backup
from bot.cli.common import Subparsers, announce, err
from bot.config import Settings, sqlite_path
from bot.db import DatabaseUnavailable, SchemaError, bring_up_to_date, close_db, connect
from bot.rendering import msg


def register(sub: Subparsers) -> None:
    actions = sub.add_parser("db", help=msg("cli.db_help")).add_subparsers(
        dest="action", required=True)
    actions.add_parser("upgrade", help=msg("cli.db_upgrade_help")).set_defaults(run=_upgrade)
    backup_cmd = actions.add_parser("backup", help=msg("ops.cli_backup_help"))
    backup_cmd.add_argument("file")
    backup_cmd.set_defaults(run=_backup)


def _upgrade(settings: Settings, args: argparse.Namespace) -> int:
    announce(settings)
    return asyncio.run(_upgrade_async(settings))


async def _upgrade_async(settings: Settings) -> int:
    try:
        await connect(settings.database_url)
    except DatabaseUnavailable as exc:
        err(str(exc))
        return 2
    try:
        applied = await bring_up_to_date()
    except SchemaError as exc:
        err(str(exc))
        return 2
    finally:
        await close_db()
    print(msg("db.upgraded", applied=applied) if applied else msg("db.up_to_date"))
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    """Without Tortoise: the copy must not create or change any table."""
    announce(settings)
    return asyncio.run(_backup_async(settings, args.file))


async def _backup_async(settings: Settings, file: str) -> int:
    source = sqlite_path(settings.database_url)
    if source is None:
        in_memory = settings.database_url.startswith("sqlite://")
        err(msg("ops.backup_memory") if in_memory else
            backup.dump_hint(settings.database_url, file))
        if settings.file_store_dir and not in_memory:
            err(msg("ops.backup_files_hint", path=settings.file_store_dir))
        return 2
    try:
        size = await backup.sqlite_backup(source, Path(file))
        files = None
        if settings.file_store_dir:  # sent files kept outside the database go along
            target = backup.files_target(Path(file))
            files = (target, await backup.files_backup(Path(settings.file_store_dir), target))
    except backup.BackupError as exc:
        err(str(exc))
        return 1
    print(msg("ops.backup_done", path=file, size=size))
    if files:
        print(msg("ops.backup_files_done", path=files[0], count=files[1]))
    return 0
