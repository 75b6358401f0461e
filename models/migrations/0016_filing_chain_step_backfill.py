from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_filing_followup_evidence')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Filing',
            name='filer',
            field=fields.ForeignKeyField('models.Person', source_field='filer_id', null=True, db_constraint=True, to_field='id', related_name='filings', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Filing',
            name='step',
            field=fields.IntField(null=True, default=1),
        ),
        # rule R-ACC-1: filings from before the chain wait at its first stage
        ops.RunSQL("UPDATE filing SET step = 1 WHERE step IS NULL", reverse_sql="SELECT 1"),
    ]
