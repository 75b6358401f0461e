"""Database start-up, schema migrations and shutdown (Tortoise is process-global).

The schema is defined by the migrations in models/migrations (Tortoise's own migration
tool). `govmedia db upgrade` applies them; `serve` and the other commands create the
schema of an empty database themselves and refuse one whose schema is behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import BaseORMException, IntegrityError, OperationalError
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.models import Model
from yarl import URL

from bot import audit
from bot.errors import BotError
from bot.rendering import msg
from models import MODELS_MODULES

APP = "models"
APPS_CONFIG = {APP: {"models": MODELS_MODULES, "migrations": "models.migrations",
                     "default_connection": "default"}}


# for `python -m tortoise -c bot.db.TORTOISE_ORM makemigrations` (developers only)
TORTOISE_ORM = {"connections": {"default": "sqlite://:memory:"}, "apps": APPS_CONFIG}


class SchemaError(BotError):
    """The database's schema does not match this version; str() says what to run."""


class DatabaseUnavailable(BotError):
    """The database cannot be reached or opened; str() is one line saying which and why."""


def describe(database_url: str) -> str:
    """The database a URL names, for people: a SQLite file's absolute path, a server URL
    without its password."""
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://")
        return msg("db.memory") if ":memory:" in path else str(Path(path).resolve())
    url = URL(database_url)
    return str(url.with_password(None)) if url.password else database_url


# server error codes that name the cause: MySQL (asyncmy) and PostgreSQL (asyncpg) SQLSTATE
_MYSQL_REASONS = {1049: "db.no_database", 1045: "db.denied", 1698: "db.denied",
                  1044: "db.denied", 2003: "db.refused", 2005: "db.no_host"}
_PG_REASONS = {"3D000": "db.no_database", "28000": "db.denied", "28P01": "db.denied",
               "57P03": "db.refused"}


def _reason(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        number = seen.args[0] if seen.args and isinstance(seen.args[0], int) else None
        key = _PG_REASONS.get(str(getattr(seen, "sqlstate", ""))) or \
            (_MYSQL_REASONS.get(number) if number is not None else None)
        if key:
            return msg(key)
        if isinstance(seen, ConnectionRefusedError):
            return msg("db.refused")
        if isinstance(seen, socket.gaierror):
            return msg("db.no_host")
        if isinstance(seen, TimeoutError):
            return msg("db.timeout")
        seen = seen.__cause__ or seen.__context__
    return msg("db.unreachable_other", error=type(exc).__name__)


async def connect(database_url: str) -> None:
    """Connect without touching the schema; DatabaseUnavailable if it does not answer."""
    # Tortoise caches each model's SQL by connection name, not by dialect, so a process
    # that connects again to another kind of database must start without that cache.
    EXECUTOR_CACHE.clear()
    audit.forget_head()  # where this process left another database's audit head
    # aiohttp runs start-up, requests and background tasks in different asyncio contexts;
    # Tortoise 1.x keeps its state in a contextvar unless the global fallback is enabled.
    await Tortoise.init(db_url=database_url, modules={APP: MODELS_MODULES},
                        _enable_global_fallback=True)
    try:
        # Tortoise connects lazily and its migration recorder hides errors: ask once here
        await connections.get("default").execute_query("SELECT 1")
    except (OSError, OperationalError, BaseORMException) as exc:
        await _close_quietly()
        raise DatabaseUnavailable(msg("db.unreachable", db=describe(database_url),
                                      reason=_reason(exc))) from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("asyncpg", "asyncmy", "pymysql"):
            raise
        await _close_quietly()
        raise DatabaseUnavailable(msg("db.unreachable", db=describe(database_url),
                                      reason=_reason(exc))) from None


async def _close_quietly() -> None:
    with contextlib.suppress(Exception):
        await Tortoise.close_connections()


def _executor() -> MigrationExecutor:
    return MigrationExecutor(connections.get("default"), APPS_CONFIG)


async def pending_migrations() -> list[str]:
    return [step.migration.name for step in await _executor().plan() if not step.backward]


async def applied_migrations() -> list[str]:
    return [key.name for key in await _executor().recorder.applied_migrations()]


async def upgrade(target: str | None = None, *, fake: bool = False) -> list[str]:
    """Apply the migrations up to target (default: all); return the names applied."""
    todo = await pending_migrations() if target is None else [target]
    targets = [MigrationTarget(APP, target)] if target else None
    await _executor().migrate(targets, fake=fake)
    return todo


async def create_schema() -> None:
    """On an empty database: create the current schema from the models in one pass and
    record every migration as applied. Same tables, columns and indexes as running the
    migrations one by one (tests/test_migrations.py keeps models and migrations equal),
    but in a fraction of the time and memory: Tortoise's migration executor costs
    seconds and ~30 MB on a first start."""
    await Tortoise.generate_schemas(safe=True)
    await upgrade(fake=True)


async def _has_tables() -> bool:
    """Any of our tables present (a database created by another version or program)."""
    from models.org import Unit
    from models.system import AuditEvent

    for model in (Unit, AuditEvent):
        try:
            await model.exists()
            return True
        except OperationalError:
            continue
    return False


async def init_db(database_url: str, *, generate_schemas: bool = True) -> None:
    """Connect; on a new, empty database create the current schema (tests, benchmarks)."""
    await connect(database_url)
    if generate_schemas and not await applied_migrations():
        await create_schema()


async def bring_up_to_date() -> list[str]:
    """`db upgrade`: create an empty database's schema, or apply the pending migrations;
    the names of the migrations it covered. SchemaError on tables nobody migrated."""
    todo = await pending_migrations()
    if todo and not await applied_migrations():
        if await _has_tables():
            raise SchemaError(msg("db.unmanaged"))
        await create_schema()
        return todo
    return await upgrade()


async def open_db(database_url: str, *, create_if_empty: bool = True) -> None:
    """Connect for serving: create an empty database's schema, refuse one that is behind."""
    await connect(database_url)
    todo = await pending_migrations()
    if not todo:
        return
    fresh = not await applied_migrations()
    if fresh and create_if_empty:
        try:
            await bring_up_to_date()
        except SchemaError:
            await close_db()
            raise
        return
    await close_db()
    if fresh:
        raise SchemaError(msg("db.empty"))
    raise SchemaError(msg("db.behind", pending=todo))


async def close_db() -> None:
    await Tortoise.close_connections()


# A transaction the server chose as a deadlock victim (MySQL 1213) or could not serialize
# (PostgreSQL 40P01 / 40001) was rolled back whole: running it again is safe and right.
_RETRYABLE = ("1213", "deadlock detected", "could not serialize access")
DEADLOCK_ATTEMPTS = 5
DEADLOCK_BACKOFF_SECONDS = 0.02


_RETRYABLE_STATES = ("40P01", "40001")  # PostgreSQL: deadlock, serialization failure
_MYSQL_DEADLOCK = 1213


def is_deadlock(exc: BaseException) -> bool:
    """Tortoise wraps only some driver errors: asyncpg's DeadlockDetectedError reaches us
    as itself, so the SQLSTATE (or MySQL's error number) is looked for along the chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if str(getattr(seen, "sqlstate", "")) in _RETRYABLE_STATES:
            return True
        if seen.args and seen.args[0] == _MYSQL_DEADLOCK:
            return True
        if isinstance(seen, OperationalError) and any(s in str(seen) for s in _RETRYABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


T = TypeVar("T")


async def retry_deadlocks(run: Callable[[], Awaitable[T]],
                          on_retry: Callable[[int], None] | None = None) -> T:
    """Run `run` (a whole transaction, touching nothing outside it) again when the database
    rolled it back as a deadlock victim; `on_retry` hears of each attempt that failed so."""
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            return await run()
        except Exception as exc:  # a driver's deadlock error may come unwrapped
            if attempt == DEADLOCK_ATTEMPTS or not is_deadlock(exc):
                raise
            if on_retry is not None:
                on_retry(attempt)
            # victims that retry at once meet again: a random pause splits them
            await asyncio.sleep(random.uniform(0, DEADLOCK_BACKOFF_SECONDS * attempt))
    raise AssertionError("unreachable")


async def insert_new(model: type[Model], rows: list[Any], key: tuple[str, ...]) -> None:
    """Insert `rows` in one statement, leaving out those whose unique `key` is taken (the
    retry of something already stored): that conflict is the only thing skipped.
    PostgreSQL and SQLite skip it with ON CONFLICT DO NOTHING. MySQL's form of that is
    INSERT IGNORE, which also turns real errors into warnings (a value the column cannot
    hold is stored altered, or the row dropped), so there a plain insert runs, and on a
    duplicate key the rows already in are read and the others inserted (the failed
    statement changed nothing; the read happens only then)."""
    if not rows:
        return
    if model._meta.db.capabilities.dialect != "mysql":
        await model.bulk_create(rows, ignore_conflicts=True)
        return
    try:
        await model.bulk_create(rows)
    except IntegrityError:
        there = set(await model.filter(**{f"{k}__in": list({getattr(r, k) for r in rows})
                                          for k in key}).values_list(*key))
        rest = [r for r in rows if tuple(getattr(r, k) for k in key) not in there]
        if len(rest) == len(rows):
            raise  # not the retry of a stored row
        if rest:
            await model.bulk_create(rest)
