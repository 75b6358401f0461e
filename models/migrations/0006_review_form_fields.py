from typing import Any

from tortoise import migrations
from tortoise.migrations.operations import RunPython
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

async def backfill_categories(apps: Any, schema_editor: Any) -> None:
    """Drafts from before the review form's fields: 发布类别 "" (taken from the platform)."""
    client = schema_editor.client
    q = "`" if client.capabilities.dialect == "mysql" else '"'
    await client.execute_query(
        f"UPDATE {q}draft{q} SET {q}category{q} = '' WHERE {q}category{q} IS NULL")


class Migration(migrations.Migration):
    dependencies = [('models', '0005_draft_files_links')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['subject', 'seq']),
        ),
        ops.RemoveIndex(
            model_name='Draft',
            name=None,
            fields=['state', 'account_id'],
        ),
        ops.AddField(
            model_name='Draft',
            name='category',
            field=fields.CharField(null=True, default='', max_length=16),
        ),
        ops.AddField(
            model_name='Draft',
            name='requested_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Draft',
            index=Index(fields=['state', 'account_id', 'published_at']),
        ),
        ops.AddIndex(
            model_name='ReviewStep',
            index=Index(fields=['decided_at']),
        ),
        ops.RunPython(backfill_categories, RunPython.noop),
    ]
