"""What every subcommand shares: the database it works on, said once, and one-line errors.

A subcommand module has `register(sub)`, which adds its parser and sets `run` (and, for
commands that use the database, goes through `db_command`). Only `serve` and
`db upgrade` may create a database; every other command refuses a missing SQLite file
or an empty database with one line instead of silently creating one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import Settings, sqlite_path
from bot.db import DatabaseUnavailable, SchemaError, close_db, describe, open_db
from bot.rendering import msg

Run = Callable[[Settings, argparse.Namespace], int]
Job = Callable[[Settings, argparse.Namespace], Awaitable[int]]
Subparsers = Any  # argparse._SubParsersAction, private in typeshed


def err(text: str) -> None:
    print(text, file=sys.stderr)


def announce(settings: Settings) -> None:
    """Say which database this command uses (stderr: stdout stays the command's output)."""
    err(msg("db.using", db=describe(settings.database_url)))


def missing_file(settings: Settings) -> str | None:
    """The SQLite file this command would have to create, or None."""
    path = sqlite_path(settings.database_url)
    return str(path.resolve()) if path is not None and not path.exists() else None


async def with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    """Open an existing database with a current schema, run work, close."""
    missing = missing_file(settings)
    if missing:
        err(msg("db.file_missing", path=missing))
        return 2
    try:
        await open_db(settings.database_url, create_if_empty=False)
    except (SchemaError, DatabaseUnavailable) as exc:
        err(str(exc))
        return 2
    try:
        return await work()
    finally:
        await close_db()


def db_command(job: Job) -> Run:
    """A subcommand that works on an existing database."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        announce(settings)
        return asyncio.run(with_db(settings, lambda: job(settings, args)))

    return run
