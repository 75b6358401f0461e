from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    # after both leaves main had (0011_durable_inbox next to 0011/0012)
    dependencies = [('models', '0011_durable_inbox'), ('models', '0012_approvals_moves_absence')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DingTalkSignature',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pair', fields.CharField(unique=True, max_length=64)),
                ('event_id', fields.CharField(max_length=191)),
                ('signed_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dingtalk_signature', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A (timestamp, sign) pair an HTTP-mode callback was accepted under, with the event it'},
            bases=['Model'],
        ),
    ]
