"""`govmedia db backup FILE`: an online copy of a SQLite database.

sqlite3's backup API copies a consistent snapshot while the bot keeps running (the bot
opens SQLite in WAL mode, so the copy does not block its writers). It runs in a thread
so an event loop is never blocked. PostgreSQL and MySQL have their own dump tools; for
them the command prints how to call pg_dump or mysqldump instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from bot.rendering import msg

_DUMP_HINTS = {"postgres": "ops.backup_use_pg_dump", "psycopg": "ops.backup_use_pg_dump",
               "mysql": "ops.backup_use_mysqldump"}
_DEFAULT_PORTS = {"postgres": 5432, "psycopg": 5432, "mysql": 3306}


class BackupError(Exception):
    """The backup could not be made; the message says why, in Chinese."""


def dump_hint(database_url: str, target: str) -> str:
    """How to back up a server database with its own tool (never shows the password)."""
    parts = urlsplit(database_url)
    return msg(_DUMP_HINTS[parts.scheme], host=parts.hostname or "127.0.0.1",
               port=parts.port or _DEFAULT_PORTS[parts.scheme],
               user=unquote(parts.username or ""), db=parts.path.lstrip("/"), file=target)


def copy(source: Path, target: Path) -> int:
    """Copy the database file `source` to the new file `target`; return its size."""
    if not source.is_file():
        raise BackupError(msg("ops.backup_no_source", path=source))
    if target.exists():
        raise BackupError(msg("ops.backup_target_exists", path=target))
    if not target.parent.is_dir():
        raise BackupError(msg("ops.backup_no_target_dir", path=target.parent))
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    # mode=rw: never create an empty database where the real one is missing
    uri = f"file:{quote(str(source.resolve()))}?mode=rw"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as src, \
                closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(msg("ops.backup_failed", path=source, error=str(exc))) from None
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(msg("ops.backup_failed", path=source, error=verdict))
    os.replace(partial, target)  # the file appears complete or not at all
    return target.stat().st_size


async def sqlite_backup(source: Path, target: Path) -> int:
    """copy() in a worker thread, so the event loop keeps running."""
    return await asyncio.to_thread(copy, source, target)


def files_target(target: Path) -> Path:
    """Where the sent files go next to a database backup: FILE.files/."""
    return target.with_name(target.name + ".files")


def copy_files(source: Path, target: Path) -> int:
    """Copy the file store (file_store_dir) to target; the number of files copied.

    Files there are written once under their hash and never changed, so a copy made while
    the bot runs is consistent; a file still being written (*.part) is left out.
    """
    if not source.is_dir():
        raise BackupError(msg("ops.backup_no_files_dir", path=source))
    if target.exists():
        raise BackupError(msg("ops.backup_target_exists", path=target))
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.part"))
    return sum(1 for p in target.rglob("*") if p.is_file())


async def files_backup(source: Path, target: Path) -> int:
    return await asyncio.to_thread(copy_files, source, target)
