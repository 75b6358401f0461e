from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_routing_major_limited_posting')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='accessible',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='elderly_friendly',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='ipv6',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='menus',
            field=fields.CharField(null=True, default='', max_length=256),
        ),
        ops.AddField(
            model_name='Account',
            name='vendor_agreement_on',
            field=fields.DateField(null=True),
        ),
    ]
