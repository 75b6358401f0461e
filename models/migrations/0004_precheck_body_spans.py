"""Pre-check findings index the body as stored (issue 15): rows written before indexed
"title\\nbody". Shift them by the version's title and a line break; a span inside the title
becomes -2 (bot.precheck.findings.TITLE_SPAN). Data only: the schema is unchanged."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

TITLE_SPAN = -2  # a copy: migrations do not import application code that may change


def _quote(dialect: str) -> Any:
    return (lambda name: f"`{name}`") if dialect == "mysql" else (lambda name: f'"{name}"')


def _marks(dialect: str, n: int) -> list[str]:
    return [{"postgres": f"${i + 1}", "mysql": "%s"}.get(dialect, "?") for i in range(n)]


async def _shift(schema_editor: Any, direction: int) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    q = _quote(dialect)
    rows = await client.execute_query_dict(
        f"SELECT f.{q('id')} AS id, f.{q('start')} AS s, f.{q('end')} AS e, "
        f"v.{q('title')} AS title FROM {q('precheck_finding')} f "
        f"JOIN {q('draft_version')} v ON v.{q('draft_id')} = f.{q('draft_id')} "
        f"AND v.{q('version')} = f.{q('version')} WHERE f.{q('start')} >= 0")
    start, end, ident = _marks(dialect, 3)
    update = (f"UPDATE {q('precheck_finding')} SET {q('start')} = {start}, "
              f"{q('end')} = {end} WHERE {q('id')} = {ident}")
    for row in rows:
        offset = len(row["title"]) + 1
        if direction > 0:
            s, e = (row["s"] - offset, row["e"] - offset) if row["s"] >= offset \
                else (TITLE_SPAN, TITLE_SPAN)
        else:
            s, e = row["s"] + offset, row["e"] + offset
        await client.execute_query(update, [s, e, row["id"]])


async def to_body_spans(apps: Any, schema_editor: Any) -> None:
    await _shift(schema_editor, +1)


async def to_draft_spans(apps: Any, schema_editor: Any) -> None:
    """Back to "title\\nbody" offsets (a title finding stays -2: its place is lost)."""
    await _shift(schema_editor, -1)


class Migration(migrations.Migration):
    dependencies = [('models', '0003_audit_key')]

    initial = False

    operations = [
        ops.RunPython(to_body_spans, to_draft_spans),
    ]

