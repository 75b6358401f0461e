"""The duty roster (R-DUT-1): who keeps watch for a unit on a day.

A day's watch runs from the start of working hours that day to the start of working hours
the next day, so the night after a holiday belongs to that holiday's person on duty.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.org import Person, Unit


class DutyShift(Model):
    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="duty_shifts", on_delete=fields.RESTRICT
    )
    unit_id: str
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="duty_shifts", on_delete=fields.RESTRICT
    )
    person_id: str
    day = fields.DateField()
    set_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "duty_shift"
        unique_together = (("unit", "person", "day"),)
        indexes = (("day", "unit_id"),)
