from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.files import LargeBinaryField
from models.review import DraftState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class AlterFieldStateOnly(ops.AlterField):
    """Draft.state gained two values (receiving, held). The column (varchar 16) is
    unchanged; only the enum's description differs. On SQLite Tortoise would rebuild the
    draft table for it, and dropping the old table cascades into review_step, so the
    database is left alone and only the migration state moves."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0004_precheck_body_spans')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppSecret',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('value', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'app_secret', 'app': 'models', 'pk_attr': 'name', 'table_description': 'One named secret, made once (the setting link_secret overrides the key "links").'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Compose',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('draft', fields.ForeignKeyField('models.Draft', source_field='draft_id', db_constraint=True, to_field='id', related_name='composes', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('author', fields.ForeignKeyField('models.Person', source_field='author_id', db_constraint=True, to_field='id', related_name='composes', on_delete=OnDelete.RESTRICT)),
                ('channel', fields.CharField(max_length=16)),
                ('user_id', fields.CharField(max_length=64)),
                ('messages', fields.IntField(default=1)),
                ('closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'draft_compose', 'app': 'models', 'indexes': [Index(fields=['closed_at', 'closes_at']), Index(fields=['author_id', 'closed_at'])], 'pk_attr': 'id', 'table_description': 'A draft version still being received: consecutive messages and pictures from its'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoredFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sha256', fields.CharField(unique=True, max_length=64)),
                ('size', fields.IntField()),
                ('content_type', fields.CharField(max_length=100)),
                ('name', fields.CharField(max_length=255)),
                ('in_database', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'stored_file', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One file by content: its hash goes into the audit chain and the review record.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DraftFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('draft', fields.ForeignKeyField('models.Draft', source_field='draft_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('kind', fields.CharField(max_length=8)),
                ('seq', fields.IntField()),
                ('file', fields.ForeignKeyField('models.StoredFile', source_field='file_id', db_constraint=True, to_field='id', related_name='uses', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'draft_file', 'app': 'models', 'unique_together': (('draft', 'version', 'kind', 'seq'),), 'pk_attr': 'id', 'table_description': 'A file of one version of a draft: its pictures (图1, 图2 …) and the .docx it came from.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FileChunk',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('file', fields.ForeignKeyField('models.StoredFile', source_field='file_id', db_constraint=True, to_field='id', related_name='chunks', on_delete=OnDelete.CASCADE)),
                ('seq', fields.IntField()),
                ('data', LargeBinaryField()),
            ],
            options={'table': 'file_chunk', 'app': 'models', 'unique_together': (('file', 'seq'),), 'pk_attr': 'id', 'table_description': 'A piece of a file kept in the database, in order.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Question',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='questions', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=8)),
                ('draft', fields.ForeignKeyField('models.Draft', source_field='draft_id', null=True, db_constraint=True, to_field='id', related_name='questions', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField(null=True)),
                ('file', fields.ForeignKeyField('models.StoredFile', source_field='file_id', null=True, db_constraint=True, to_field='id', related_name='questions', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='questions', on_delete=OnDelete.CASCADE)),
                ('asked_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answer', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'question', 'app': 'models', 'indexes': [Index(fields=['person_id', 'answered_at'])], 'pk_attr': 'id', 'table_description': 'Something the bot asked a person and waits for (their next plain message answers it).'},
            bases=['Model'],
        ),
        AlterFieldStateOnly(
            model_name='Draft',
            name='state',
            field=fields.CharEnumField(default=DraftState.REVIEWING, description='RECEIVING: receiving\nHELD: held\nREVIEWING: reviewing\nRETURNED: returned\nAPPROVED: approved\nPUBLISHED: published', enum_type=DraftState, max_length=16),
        ),
    ]
