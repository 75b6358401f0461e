"""Database start-up and shutdown (Tortoise is process-global: one app at a time)."""

from __future__ import annotations

from tortoise import Tortoise, connections

from models import MODELS_MODULES


async def init_db(database_url: str, *, generate_schemas: bool = True) -> None:
    """Connect; create missing tables when asked (safe: existing tables are kept)."""
    await Tortoise.init(db_url=database_url, modules={"models": MODELS_MODULES})
    if generate_schemas:
        await Tortoise.generate_schemas(safe=True)


async def close_db() -> None:
    await connections.close_all()
