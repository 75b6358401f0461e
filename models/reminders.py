"""The reminder log: one row per (subject, kind, stage) ever sent, under a unique key.

The scan claims rows with INSERT … ON CONFLICT DO NOTHING and sends only the rows its
own scan id claimed, so restarts, repeated scans and replicas never send twice.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ReminderLog(Model):
    id = fields.BigIntField(primary_key=True)
    # what is chased, with its period where it recurs, e.g. "account:12@2025-10-01T08:00"
    subject = fields.CharField(max_length=128)
    # stale | relay | password | review | deadline | digest | away (请假 steps offered)
    kind = fields.CharField(max_length=16)
    stage = fields.CharField(max_length=16)  # before | due | overdue | escalated | daily | weekly
    recipients: list[str] = fields.JSONField(default=list)
    scan = fields.CharField(max_length=32)  # the scan that claimed it
    at = fields.DatetimeField()  # the scan's "now"

    class Meta:
        table = "reminder_log"
        unique_together = (("subject", "kind", "stage"),)
        indexes = (("scan",),)
