"""Helpers shared by the operations tests (create_app on each backend, no sender loop)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.app import sender_ctx
from bot.config import Settings
from bot.db import close_db
from tests import databases


async def clean_settings(backend: str, tmp_path: Path) -> Settings:
    """Settings for create_app on an empty database of this backend."""
    if backend == "sqlite":
        url = f"sqlite://{tmp_path / 'ops.db'}"
    else:
        url = await databases.open_clean(backend)
        await close_db()
    return Settings(database_url=url, outbox_poll_seconds=0.05)


def without_sender(app: web.Application) -> web.Application:
    """The app as if its outbox sender loop never started (tests flush by hand)."""
    app.cleanup_ctx.remove(sender_ctx)
    return app
