"""Database start-up, schema migrations and shutdown (Tortoise is process-global).

The schema is defined by the migrations in models/migrations (Tortoise's own migration
tool). `govmedia db upgrade` applies them; `serve` and the other commands create the
schema of an empty database themselves and refuse one whose schema is behind.
"""

from __future__ import annotations

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import OperationalError
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

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


async def connect(database_url: str) -> None:
    """Connect without touching the schema."""
    # Tortoise caches each model's SQL by connection name, not by dialect, so a process
    # that connects again to another kind of database must start without that cache.
    EXECUTOR_CACHE.clear()
    # aiohttp runs start-up, requests and background tasks in different asyncio contexts;
    # Tortoise 1.x keeps its state in a contextvar unless the global fallback is enabled.
    await Tortoise.init(db_url=database_url, modules={APP: MODELS_MODULES},
                        _enable_global_fallback=True)


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


async def init_db(database_url: str, *, generate_schemas: bool = True) -> None:
    """Connect; on a new, empty database create the current schema directly and record
    every migration as applied (tests and benchmarks: faster than migrating)."""
    await connect(database_url)
    if generate_schemas and not await applied_migrations():
        await Tortoise.generate_schemas(safe=True)
        await upgrade(fake=True)


async def open_db(database_url: str, *, create_if_empty: bool = True) -> None:
    """Connect for serving: migrate an empty database, refuse one that is behind."""
    await connect(database_url)
    todo = await pending_migrations()
    if not todo:
        return
    fresh = not await applied_migrations()
    try:
        if fresh and create_if_empty:
            await upgrade()
            return
    except OperationalError:
        await close_db()
        raise SchemaError(msg("db.unmanaged")) from None
    await close_db()
    raise SchemaError(msg("db.behind", pending="、".join(todo)))


async def close_db() -> None:
    await Tortoise.close_connections()
