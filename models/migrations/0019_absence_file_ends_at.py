from tortoise import fields, migrations
from tortoise.migrations import operations as ops


# An org-file absence that 销假 called off keeps the end its file entry had, so that only
# that entry stays called off. Rows called off before keep NULL: their end is gone, and
# they go on holding every entry with their start.
class Migration(migrations.Migration):
    dependencies = [('models', '0018_deadline_title_data')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Absence',
            name='file_ends_at',
            field=fields.DatetimeField(null=True),
        ),
    ]
