from datetime import UTC, datetime
from typing import Any

from tortoise import migrations
from tortoise.migrations.operations import RunPython
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.registry import FilingKind, FilingState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

TEXT_COLUMNS = ("platform_id", "platform_note", "organizer", "intro", "url", "vendor",
                "vendor_qualification")


async def backfill_accounts(apps: Any, schema_editor: Any) -> None:
    """Accounts already on the registry: empty registry texts, created at upgrade time."""
    client = schema_editor.client
    dialect = client.capabilities.dialect
    q = (lambda name: f"`{name}`") if dialect == "mysql" else (lambda name: f'"{name}"')
    for column in TEXT_COLUMNS:
        await client.execute_query(
            f"UPDATE {q('account')} SET {q(column)} = '' WHERE {q(column)} IS NULL")
    now = datetime.now(UTC)
    # each driver takes a datetime its own way: SQLite stores Tortoise's text form,
    # MySQL's DATETIME holds naive UTC, PostgreSQL's timestamptz an aware value
    value: Any = {"sqlite": str(now), "mysql": now.replace(tzinfo=None)}.get(dialect, now)
    mark = {"postgres": "$1", "mysql": "%s"}.get(dialect, "?")
    await client.execute_query(
        f"UPDATE {q('account')} SET {q('created_at')} = {mark} WHERE {q('created_at')} IS NULL",
        [value])


class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CardCopy',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('user_id', fields.CharField(max_length=64)),
                ('card_ref', fields.CharField(max_length=128)),
                ('platform_ref', fields.CharField(unique=True, max_length=128)),
                ('outbox_id', fields.BigIntField()),
                ('button_keys', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('body_sent', fields.BooleanField(default=False)),
                ('sent', fields.BooleanField(default=False)),
                ('update_code', fields.CharField(null=True, max_length=255)),
                ('code_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('code_event_time', fields.BigIntField(default=0)),
                ('decided', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_copy', 'app': 'models', 'indexes': [Index(fields=['channel', 'user_id', 'card_ref'])], 'pk_attr': 'id', 'table_description': 'One delivered copy of a card to one person, and how to update it later.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DingTalkCard',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('out_track_id', fields.CharField(unique=True, max_length=64)),
                ('outbox_id', fields.BigIntField(unique=True)),
                ('card_ref', fields.CharField(max_length=128)),
                ('user_id', fields.CharField(max_length=64)),
                ('button_keys', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('delivered', fields.BooleanField(default=False)),
                ('decided', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'dingtalk_card', 'app': 'models', 'indexes': [Index(fields=['card_ref', 'user_id'])], 'pk_attr': 'id', 'table_description': 'One interactive copy of a logical card (card_ref) sent to one recipient.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DingTalkSession',
            fields=[
                ('user_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('webhook', fields.CharField(max_length=1024)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dingtalk_session', 'app': 'models', 'pk_attr': 'user_id', 'table_description': "The sessionWebhook of a person's latest single chat with the robot, while valid."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Filing',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='OPEN: open\nCHANGE: change\nSUSPEND: suspend\nCLOSE: close\nCANCEL: cancel\nBACKFILL: backfill\nEMERGENCY: emergency', enum_type=FilingKind, max_length=16)),
                ('state', fields.CharEnumField(default=FilingState.CHIEF, description='CHIEF: chief\nSUPERVISOR: supervisor\nAPPROVED: approved\nREJECTED: rejected', enum_type=FilingState, max_length=16)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='filings', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='filings', on_delete=OnDelete.RESTRICT)),
                ('account_name', fields.CharField(max_length=128)),
                ('platform', fields.CharField(max_length=32)),
                ('filer', fields.ForeignKeyField('models.Person', source_field='filer_id', db_constraint=True, to_field='id', related_name='filings', on_delete=OnDelete.RESTRICT)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('flags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('approvals', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'filing', 'app': 'models', 'indexes': [Index(fields=['state', 'unit_id']), Index(fields=['account_name', 'platform', 'state'])], 'pk_attr': 'id', 'table_description': "A 备案: the form's values in payload, approvals records each stage's decision."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PrecheckFinding',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('draft', fields.ForeignKeyField('models.Draft', source_field='draft_id', db_constraint=True, to_field='id', related_name='precheck_findings', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('seq', fields.IntField()),
                ('kind', fields.CharField(max_length=32)),
                ('severity', fields.CharField(max_length=8)),
                ('rule', fields.CharField(max_length=16)),
                ('start', fields.IntField()),
                ('end', fields.IntField()),
                ('text', fields.CharField(max_length=200)),
                ('suggestion', fields.CharField(default='', max_length=200)),
                ('snippet', fields.CharField(default='', max_length=300)),
                ('false_positive_by', fields.ForeignKeyField('models.Person', source_field='false_positive_by_id', null=True, db_constraint=True, to_field='id', related_name='precheck_marks', on_delete=OnDelete.RESTRICT)),
                ('false_positive_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'precheck_finding', 'app': 'models', 'unique_together': (('draft', 'version', 'seq'),), 'pk_attr': 'id', 'table_description': 'One finding of the pre-review of one version, seq is its 编号 in chat.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PrecheckWord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='precheck_words', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('word', fields.CharField(max_length=64)),
                ('added_by', fields.ForeignKeyField('models.Person', source_field='added_by_id', db_constraint=True, to_field='id', related_name='precheck_words', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'precheck_word', 'app': 'models', 'unique_together': (('unit', 'kind', 'word'),), 'pk_attr': 'id', 'table_description': 'A word a supervisor added to a list of their unit (applies to the units below too).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RelayTask',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source_url', fields.CharField(max_length=1024)),
                ('title', fields.CharField(default='', max_length=200)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='relay_tasks', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('models.Person', source_field='created_by_id', db_constraint=True, to_field='id', related_name='relay_tasks', on_delete=OnDelete.RESTRICT)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'relay_task', 'app': 'models', 'pk_attr': 'id', 'table_description': '`转载 <来源URL> [标题]`, its id is the 任务号 people type.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RelayTarget',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('models.RelayTask', source_field='task_id', db_constraint=True, to_field='id', related_name='targets', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='relay_targets', on_delete=OnDelete.RESTRICT)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('done_by', fields.CharField(null=True, max_length=64)),
                ('url', fields.CharField(null=True, max_length=1024)),
                ('draft_id', fields.IntField(null=True)),
            ],
            options={'table': 'relay_target', 'app': 'models', 'unique_together': (('task', 'unit'),), 'indexes': [Index(fields=['done_at', 'due_at'])], 'pk_attr': 'id', 'table_description': "One host unit's share of a task, open while done_at is NULL."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReminderLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(max_length=128)),
                ('kind', fields.CharField(max_length=16)),
                ('stage', fields.CharField(max_length=16)),
                ('recipients', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('scan', fields.CharField(max_length=32)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reminder_log', 'app': 'models', 'unique_together': (('subject', 'kind', 'stage'),), 'indexes': [Index(fields=['scan'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewCheck',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('step', fields.OneToOneField('models.ReviewStep', source_field='step_id', db_constraint=True, to_field='id', related_name='check', on_delete=OnDelete.CASCADE)),
                ('asked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checklist', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('confirmed_findings', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'review_check', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What a reviewer confirmed with an approval: the checklist and the error findings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TeamMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='team', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharField(max_length=16)),
                ('name', fields.CharField(max_length=64)),
                ('post', fields.CharField(default='', max_length=128)),
                ('office_phone', fields.CharField(default='', max_length=32)),
                ('mobile', fields.CharField(default='', max_length=32)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='team_rows', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'team_member', 'app': 'models', 'pk_attr': 'id', 'table_description': "One row of the filing form's 管理队伍, phones are personal data (shown to few)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UnknownSender',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('user_id', fields.CharField(max_length=64)),
                ('count', fields.IntField(default=1)),
                ('first_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'unknown_sender', 'app': 'models', 'unique_together': (('channel', 'user_id'),), 'pk_attr': 'id', 'table_description': 'Someone wrote to the bot whose user id is not in the organisation file (for the admin).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UnreachableRecipient',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('user_id', fields.CharField(max_length=64)),
                ('reason', fields.TextField(default='', unique=False)),
                ('count', fields.IntField(default=1)),
                ('first_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'unreachable_recipient', 'app': 'models', 'unique_together': (('channel', 'user_id'),), 'pk_attr': 'id', 'table_description': 'A platform said this user id does not exist or may not receive messages.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='certified',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='created_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=True),
        ),
        ops.AddField(
            model_name='Account',
            name='followers',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='intro',
            field=fields.TextField(null=True, default='', unique=False),
        ),
        ops.AddField(
            model_name='Account',
            name='news_licence',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='opened_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='organizer',
            field=fields.CharField(null=True, default='', max_length=128),
        ),
        ops.AddField(
            model_name='Account',
            name='platform_id',
            field=fields.CharField(null=True, default='', max_length=128),
        ),
        ops.AddField(
            model_name='Account',
            name='platform_note',
            field=fields.CharField(null=True, default='', max_length=64),
        ),
        ops.AddField(
            model_name='Account',
            name='url',
            field=fields.CharField(null=True, default='', max_length=1024),
        ),
        ops.AddField(
            model_name='Account',
            name='vendor',
            field=fields.CharField(null=True, default='', max_length=128),
        ),
        ops.AddField(
            model_name='Account',
            name='vendor_qualification',
            field=fields.CharField(null=True, default='', max_length=256),
        ),
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['status', 'content', 'last_update_at', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['status', 'password_changed_at', 'created_at']),
        ),
        ops.AddField(
            model_name='Draft',
            name='relay_task',
            field=fields.ForeignKeyField('models.RelayTask', source_field='relay_task_id', null=True, db_constraint=True, to_field='id', related_name='drafts', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Outbox',
            name='claimed_by',
            field=fields.CharField(null=True, max_length=96),
        ),
        ops.AddIndex(
            model_name='Outbox',
            index=Index(fields=['channel', 'user_id', 'status']),
        ),
        ops.AddIndex(
            model_name='ReviewStep',
            index=Index(fields=['decision', 'created_at']),
        ),
        ops.AddField(
            model_name='Unit',
            name='wecom_webhook_key',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.RunPython(backfill_accounts, RunPython.noop),
    ]
