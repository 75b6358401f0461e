from tortoise import migrations
from tortoise.migrations import operations as ops
from models.registry import FilingKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_dingtalk_signatures')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Filing',
            name='kind',
            field=fields.CharEnumField(description='OPEN: open\nCHANGE: change\nSUSPEND: suspend\nRESUME: resume\nCLOSE: close\nCANCEL: cancel\nBACKFILL: backfill\nEMERGENCY: emergency', enum_type=FilingKind, max_length=16),
        ),
    ]
