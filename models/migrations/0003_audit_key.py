from typing import Any

from tortoise import migrations
from tortoise.migrations.operations import RunPython
from tortoise.migrations import operations as ops
from tortoise import fields


async def backfill_plain(apps: Any, schema_editor: Any) -> None:
    """Events written before audit keys existed are plain SHA-256 ones: key_id ""."""
    client = schema_editor.client
    q = (lambda name: f"`{name}`") if client.capabilities.dialect == "mysql" else \
        (lambda name: f'"{name}"')
    for table in ("audit_event", "audit_head"):
        await client.execute_query(
            f"UPDATE {q(table)} SET {q('key_id')} = '' WHERE {q('key_id')} IS NULL")


class Migration(migrations.Migration):
    dependencies = [('models', '0002_registry_channels_precheck_reminders')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuditEvent',
            name='key_id',
            field=fields.CharField(null=True, default='', max_length=16),
        ),
        ops.AddField(
            model_name='AuditHead',
            name='key_id',
            field=fields.CharField(null=True, default='', max_length=16),
        ),
        ops.RunPython(backfill_plain, RunPython.noop),
    ]
