from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.followups import FixState
from models.staff import HolderKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_review_form_fields')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CounterfeitReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='counterfeits', on_delete=OnDelete.RESTRICT)),
                ('platform', fields.CharField(max_length=64)),
                ('target', fields.CharField(max_length=1024)),
                ('note', fields.TextField(default='', unique=False)),
                ('reported_by', fields.ForeignKeyField('models.Person', source_field='reported_by_id', db_constraint=True, to_field='id', related_name='counterfeits', on_delete=OnDelete.RESTRICT)),
                ('reported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('verify_due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('steps', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(default='', max_length=16)),
            ],
            options={'table': 'counterfeit_report', 'app': 'models', 'indexes': [Index(fields=['closed_at', 'verified_at', 'verify_due_at']), Index(fields=['unit_id', 'reported_at'])], 'pk_attr': 'id', 'table_description': '`仿冒 <平台> <名称或网址> <说明>`: a counterfeit account, tracked to closure (R-ACC-14).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DutyShift',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='duty_shifts', on_delete=OnDelete.RESTRICT)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='duty_shifts', on_delete=OnDelete.RESTRICT)),
                ('day', fields.DateField()),
                ('set_by', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'duty_shift', 'app': 'models', 'unique_together': (('unit', 'person', 'day'),), 'indexes': [Index(fields=['day', 'unit_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Interpretation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='interpretations', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=200)),
                ('issued_on', fields.DateField()),
                ('source_url', fields.CharField(default='', max_length=1024)),
                ('opened_by', fields.ForeignKeyField('models.Person', source_field='opened_by_id', db_constraint=True, to_field='id', related_name='interpretations', on_delete=OnDelete.RESTRICT)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('done_by', fields.CharField(null=True, max_length=64)),
                ('url', fields.CharField(default='', max_length=1024)),
            ],
            options={'table': 'interpretation', 'app': 'models', 'indexes': [Index(fields=['done_at', 'due_at']), Index(fields=['unit_id', 'opened_at'])], 'pk_attr': 'id', 'table_description': '`解读 <文件标题> [发布日期] [网址]`: the unit that issued a major policy interprets it'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PermissionHolder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='holders', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('kind', fields.CharEnumField(description='STAFF: staff\nVENDOR: vendor\nSOFTWARE: software', enum_type=HolderKind, max_length=16)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='permissions', on_delete=OnDelete.SET_NULL)),
                ('recorded_by', fields.CharField(max_length=64)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_by', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'permission_holder', 'app': 'models', 'indexes': [Index(fields=['account_id', 'revoked_at']), Index(fields=['kind', 'revoked_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PublicMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='public_messages', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='public_messages', on_delete=OnDelete.RESTRICT)),
                ('summary', fields.TextField(unique=False)),
                ('registered_by', fields.ForeignKeyField('models.Person', source_field='registered_by_id', db_constraint=True, to_field='id', related_name='public_messages', on_delete=OnDelete.RESTRICT)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ack_due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('answer_due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('acked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('acked_by', fields.CharField(null=True, max_length=64)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_by', fields.CharField(null=True, max_length=64)),
                ('url', fields.CharField(default='', max_length=1024)),
            ],
            options={'table': 'public_message', 'app': 'models', 'indexes': [Index(fields=['acked_at', 'ack_due_at']), Index(fields=['answered_at', 'answer_due_at']), Index(fields=['unit_id', 'received_at'])], 'pk_attr': 'id', 'table_description': '`留言 <账号名> <摘要>`: a public message or comment to acknowledge, then answer (R-MSG-1).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rectification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='rectifications', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='rectifications', on_delete=OnDelete.RESTRICT)),
                ('problem', fields.TextField(unique=False)),
                ('opened_by', fields.ForeignKeyField('models.Person', source_field='opened_by_id', db_constraint=True, to_field='id', related_name='rectifications_opened', on_delete=OnDelete.RESTRICT)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('days', fields.IntField()),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('state', fields.CharEnumField(default=FixState.OPEN, description='OPEN: open\nSUBMITTED: submitted\nDONE: done', enum_type=FixState, max_length=16)),
                ('round', fields.IntField(default=1)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_by', fields.CharField(null=True, max_length=64)),
                ('note', fields.TextField(default='', unique=False)),
                ('reason', fields.TextField(default='', unique=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rectification', 'app': 'models', 'indexes': [Index(fields=['state', 'due_at']), Index(fields=['unit_id', 'opened_at'])], 'pk_attr': 'id', 'table_description': '`整改 <账号名> <问题> [天数]`, its id is the 编号 people type (R-FIX-1).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Person',
            name='trained_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Person',
            name='vetted_on',
            field=fields.DateField(null=True),
        ),
    ]
