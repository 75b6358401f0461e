"""Plain SQL for the report aggregates that would be too slow through the ORM.

A quarter of a province is millions of rows; turning each timestamp into a Python
datetime (what a Tortoise query does) costs more than the whole rest of the report. These
queries ask the database for epoch seconds instead, and run on all three backends: the
only dialect differences are the epoch expression, quoting and the placeholder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

_EPOCH = {
    "sqlite": "CAST(strftime('%s', {}) AS INTEGER)",
    # FLOOR: a CAST alone rounds, so a row made at 09:00:47.6 would count as after 09:00:47
    "postgres": "CAST(FLOOR(EXTRACT(EPOCH FROM {})) AS BIGINT)",
    # DATETIME columns hold naive UTC: count the seconds from the epoch, no zone involved
    "mysql": "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {})",
}


def dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


def epoch(column: str) -> str:
    """SQL for a datetime column as whole seconds since 1970-01-01 UTC."""
    return _EPOCH[dialect()].format(column)


def seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def since(column: str, start: datetime, end: datetime) -> tuple[str, list[Any]]:
    """` AND column >= start AND column < end`, using the column's index where the backend
    compares datetimes itself (PostgreSQL, MySQL); SQLite keeps each value's text as it was
    written, offsets and all, so it compares epoch seconds."""
    kind = dialect()
    if kind == "sqlite":
        epoch_ = epoch(column)
        return f" AND {epoch_} >= ? AND {epoch_} < ?", [seconds(start), seconds(end)]
    if kind == "mysql":  # DATETIME holds naive UTC
        start, end = (m.astimezone(UTC).replace(tzinfo=None) for m in (start, end))
    return f" AND {column} >= ? AND {column} < ?", [start, end]


def in_list(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN (?, ?, …)` and its parameters; an empty list matches nothing."""
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def json_value(value: Any) -> Any:
    """A JSON column as read by plain SQL: text on SQLite and MySQL (and PostgreSQL's jsonb
    without a codec), already decoded where the driver does it; NULL stays None."""
    if isinstance(value, bytes | bytearray):
        value = value.decode()
    return json.loads(value) if isinstance(value, str) else value


async def rows(sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Run a query written with `?` placeholders and "double-quoted" names; rows can be
    read by column alias (row["alias"]) on every backend."""
    kind = dialect()
    if kind == "mysql":
        sql = sql.replace('"', "`").replace("?", "%s")
    elif kind == "postgres":
        parts = sql.split("?")
        sql = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
    _, found = await connections.get("default").execute_query(sql, list(params))
    return list(found)
