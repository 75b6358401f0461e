"""Database start-up and shutdown (Tortoise is process-global: one app at a time)."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from models import MODELS_MODULES


async def init_db(database_url: str, *, generate_schemas: bool = True) -> None:
    """Connect; create missing tables when asked (safe: existing tables are kept)."""
    # Tortoise caches each model's SQL by connection name, not by dialect, so a process
    # that connects again to another kind of database must start without that cache.
    EXECUTOR_CACHE.clear()
    # aiohttp runs start-up, requests and background tasks in different asyncio contexts;
    # Tortoise 1.x keeps its state in a contextvar unless the global fallback is enabled.
    await Tortoise.init(db_url=database_url, modules={"models": MODELS_MODULES},
                        _enable_global_fallback=True)
    if generate_schemas:
        await Tortoise.generate_schemas(safe=True)


async def close_db() -> None:
    await Tortoise.close_connections()
