from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.review import DraftState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class AlterFieldStateOnly(ops.AlterField):
    """Draft.state gained `withdrawn` (撤回, issue 20): the column (varchar 16) is unchanged,
    only the enum's description differs; as in 0005, the database is left alone (a SQLite
    rebuild of draft would cascade into review_step) and only the migration state moves."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0011_account_requirements')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Absence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='absences', on_delete=OnDelete.CASCADE)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deputy', fields.ForeignKeyField('models.Person', source_field='deputy_id', null=True, db_constraint=True, to_field='id', related_name='deputy_for', on_delete=OnDelete.SET_NULL)),
                ('set_by', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'absence', 'app': 'models', 'indexes': [Index(fields=['person_id', 'ends_at'])], 'pk_attr': 'id', 'table_description': '请假: a person is away from starts_at to ends_at (UTC, local midnights, end excluded).'},
            bases=['Model'],
        ),
        AlterFieldStateOnly(
            model_name='Draft',
            name='state',
            field=fields.CharEnumField(default=DraftState.REVIEWING, description='RECEIVING: receiving\nHELD: held\nREVIEWING: reviewing\nRETURNED: returned\nWITHDRAWN: withdrawn\nAPPROVED: approved\nPUBLISHED: published', enum_type=DraftState, max_length=16),
        ),
        ops.AddField(
            model_name='ReviewStep',
            name='assigned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ReviewStep',
            name='moves',
            field=fields.JSONField(null=True, default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ReviewStep',
            name='on_behalf_of',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
