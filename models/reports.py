"""Files the bot made for someone (review records, reports), kept for delivery.

The outbox row of a file message names a row here; every replica's sender reads the
bytes from the database, so a retry after a crash or on another replica finds them.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ReportFile(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)  # as the recipient sees it, e.g. 登记表_12.pdf
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    data = fields.BinaryField()
    person_id = fields.CharField(max_length=64)  # who asked for it (org id)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "report_file"
