"""The databases the suite runs on: SQLite always, PostgreSQL and MariaDB/MySQL when
reachable on loopback (GOVMEDIA_TEST_BACKENDS=sqlite,postgres,mysql makes them required).

Each backend's test database is created once per session; every test then starts
from empty tables (TRUNCATE), which is much faster than recreating the schema.
"""

from __future__ import annotations

import asyncio
import os
import socket

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from bot.db import init_db

SERVERS = {"postgres": ("127.0.0.1", 5432), "mysql": ("127.0.0.1", 3306)}
# one scratch database per test process, so parallel runs on one machine never collide
TEST_DB = f"govmedia_test_{os.getpid()}"
URLS = {
    "sqlite": "sqlite://:memory:",
    "postgres": f"postgres://postgres@127.0.0.1:5432/{TEST_DB}",
    "mysql": f"mysql://root:@127.0.0.1:3306/{TEST_DB}",
}
_prepared: set[str] = set()


def _reachable(name: str) -> bool:
    try:
        with socket.create_connection(SERVERS[name], timeout=0.5):
            return True
    except OSError:
        return False


def backends() -> list[str]:
    """sqlite plus every reachable server; a required server that is down is an error."""
    wanted = os.environ.get("GOVMEDIA_TEST_BACKENDS", "")
    if wanted:
        names = [n.strip() for n in wanted.split(",") if n.strip()]
        down = [n for n in names if n != "sqlite" and not _reachable(n)]
        if down:
            raise RuntimeError(f"required test databases are not reachable: {down}")
        return names
    return ["sqlite", *(n for n in SERVERS if _reachable(n))]


async def _server_sql(name: str, *statements: str) -> None:
    if name == "postgres":
        import asyncpg

        conn = await asyncpg.connect(user="postgres", host="127.0.0.1", database="postgres")
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()
    else:
        import asyncmy

        conn = await asyncmy.connect(host="127.0.0.1", user="root", password="")
        try:
            async with conn.cursor() as cur:
                for statement in statements:
                    await cur.execute(statement)
        finally:
            conn.close()


def _drop_sql(name: str) -> str:
    return f"DROP DATABASE IF EXISTS {TEST_DB}" + (" WITH (FORCE)" if name == "postgres" else "")


async def _recreate(name: str) -> None:
    create = (f"CREATE DATABASE {TEST_DB} ENCODING 'UTF8'" if name == "postgres" else
              f"CREATE DATABASE {TEST_DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    await _server_sql(name, _drop_sql(name), create)


def drop_all() -> None:
    """Remove this process's scratch databases (called once at the end of the session)."""
    for name in sorted(_prepared):
        asyncio.run(_server_sql(name, _drop_sql(name)))


def _tables() -> list[str]:
    tables: set[str] = set()
    for model in Tortoise.apps["models"].values():
        tables.add(model._meta.db_table)
        for field in model._meta.fields_map.values():
            through = getattr(field, "through", None)
            if isinstance(through, str):
                tables.add(through)
    return sorted(tables)


async def _truncate(name: str) -> None:
    tables = _tables()
    async with in_transaction() as conn:
        if name == "postgres":
            quoted = ", ".join(f'"{t}"' for t in tables)
            await conn.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
            return
        await conn.execute_query("SET FOREIGN_KEY_CHECKS=0")
        for table in tables:
            await conn.execute_query(f"TRUNCATE TABLE `{table}`")
        await conn.execute_query("SET FOREIGN_KEY_CHECKS=1")


async def open_clean(name: str) -> str:
    """Connect Tortoise to an empty database of this backend; return its URL."""
    url = URLS[name]
    if name == "sqlite":
        await init_db(url)
        return url
    if name not in _prepared:
        await _recreate(name)
        await init_db(url)  # the schema, with every migration recorded as applied
        _prepared.add(name)
        return url
    await init_db(url, generate_schemas=False)
    await _truncate(name)
    return url

