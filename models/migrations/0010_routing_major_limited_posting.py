from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.operations import RunPython


async def backfill_flags(apps: Any, schema_editor: Any) -> None:
    """Rows from before issue 14: no draft was marked 重大, no account marked as one whose
    platform limits posting (the profile's limited platforms still count, R-UPD-3)."""
    client = schema_editor.client
    q = "`" if client.capabilities.dialect == "mysql" else '"'
    false = "FALSE" if client.capabilities.dialect != "sqlite" else "0"
    for table, column in (("draft", "major"), ("account", "limited_posting")):
        await client.execute_query(
            f"UPDATE {q}{table}{q} SET {q}{column}{q} = {false} WHERE {q}{column}{q} IS NULL")


class Migration(migrations.Migration):
    dependencies = [('models', '0009_filing_field_keys')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='limited_posting',
            field=fields.BooleanField(null=True, default=False),
        ),
        ops.AddField(
            model_name='Draft',
            name='major',
            field=fields.BooleanField(null=True, default=False),
        ),
        ops.RunPython(backfill_flags, RunPython.noop),
    ]
