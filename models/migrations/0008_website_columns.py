from tortoise import migrations
from tortoise.migrations import operations as ops
from models.website import ColumnKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_rules_followups_duty_staff')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebsiteColumn',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='columns', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('kind', fields.CharEnumField(description='HOME: home\nNEWS: news\nNOTICE: notice\nFIXED: fixed', enum_type=ColumnKind, max_length=16)),
                ('last_update_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_by', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'website_column', 'app': 'models', 'unique_together': (('account', 'name'),), 'indexes': [Index(fields=['active', 'kind', 'last_update_at', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
