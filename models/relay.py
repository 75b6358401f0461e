"""Relay requests from a supervisor (R-RLY-1/2): one task, one target per host unit below."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.org import Person, Unit


class RelayTask(Model):
    """`转载 <来源URL> [标题]`, its id is the 任务号 people type."""

    id = fields.IntField(primary_key=True)
    source_url = fields.CharField(max_length=1024)
    title = fields.CharField(max_length=200, default="")
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="relay_tasks", on_delete=fields.RESTRICT
    )
    unit_id: str
    created_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="relay_tasks", on_delete=fields.RESTRICT
    )
    created_by_id: str
    received_at = fields.DatetimeField()
    due_at = fields.DatetimeField()

    class Meta:
        table = "relay_task"


class RelayTarget(Model):
    """One host unit's share of a task, open while done_at is NULL."""

    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[RelayTask] = fields.ForeignKeyField(
        "models.RelayTask", related_name="targets", on_delete=fields.CASCADE
    )
    task_id: int
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="relay_targets", on_delete=fields.RESTRICT
    )
    unit_id: str
    due_at = fields.DatetimeField()  # the task's, copied so the scan needs one index
    done_at = fields.DatetimeField(null=True)
    done_by = fields.CharField(max_length=64, null=True)
    url = fields.CharField(max_length=1024, null=True)
    draft_id = fields.IntField(null=True)  # when closed by publishing a reviewed draft

    class Meta:
        table = "relay_target"
        unique_together = (("task", "unit"),)
        indexes = (("done_at", "due_at"),)
