from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.operations import RunPython


async def backfill_priority(apps: Any, schema_editor: Any) -> None:
    """Rows queued before issue 19 are all of normal priority (1)."""
    client = schema_editor.client
    q = "`" if client.capabilities.dialect == "mysql" else '"'
    await client.execute_query(
        f"UPDATE {q}outbox{q} SET {q}priority{q} = 1 WHERE {q}priority{q} IS NULL")


class Migration(migrations.Migration):
    dependencies = [('models', '0016_filing_chain_step_backfill')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Outbox',
            name='priority',
            field=fields.SmallIntField(null=True, default=1),
        ),
        ops.RunPython(backfill_priority, RunPython.noop),
    ]
