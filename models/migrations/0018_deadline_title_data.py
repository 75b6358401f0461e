from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


# Deadline titles are rendered when read from what they are made of (title_data). Rows
# written before this migration keep title_data NULL and show the title they stored: their
# sentences cannot be taken apart reliably (account labels and places contain any text).
class Migration(migrations.Migration):
    dependencies = [('models', '0017_outbox_priority')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Deadline',
            name='title_data',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
