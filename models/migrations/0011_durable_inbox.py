from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_routing_major_limited_posting')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='InboundEvent',
            options={'table': 'inbound_event', 'app': 'models', 'unique_together': (('channel', 'event_id'),), 'indexes': [Index(fields=['status', 'id']), Index(fields=['channel', 'user_id', 'status'])], 'pk_attr': 'id', 'table_description': 'The inbox: every platform event, written before the platform gets its 200.'},
        ),
        ops.AddField(
            model_name='InboundEvent',
            name='attempts',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='InboundEvent',
            name='claimed_by',
            field=fields.CharField(null=True, max_length=96),
        ),
        ops.AddField(
            model_name='InboundEvent',
            name='locked_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='InboundEvent',
            name='payload',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='InboundEvent',
            name='status',
            field=fields.CharField(default='done', max_length=8),
        ),
        ops.AddField(
            model_name='InboundEvent',
            name='user_id',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddIndex(
            model_name='InboundEvent',
            index=Index(fields=['status', 'id']),
        ),
        ops.AddIndex(
            model_name='InboundEvent',
            index=Index(fields=['channel', 'user_id', 'status']),
        ),
    ]
