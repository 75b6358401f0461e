from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_filing_resume')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Deadline',
            name='evidence',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        # rule R-ACC-2: the notice period runs by itself once the notice is up and is never
        # chased; rows of the old 'announcement_period' kind are closed, not deleted
        ops.RunSQL("UPDATE deadline SET done_at = created_at, done_by = 'migration-0015' "
                   "WHERE kind = 'announcement_period' AND done_at IS NULL",
                   reverse_sql="SELECT 1"),
    ]
