from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_registry_channels_precheck_reminders')]

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
    ]
