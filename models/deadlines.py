"""Dated obligations the reminder engine chases (R-ACC-2..4, R-SEC-3, R-FIX-1 …).

Whoever creates an obligation (an approved filing, a team change) writes a Deadline
row in the same transaction; the reminder scan finds due rows by (done_at, due_at)
and the owner closes them by setting done_at (and evidence) with the command the
reminder names (handlers/registry/followups.py).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.org import Account, Person, Unit


class Deadline(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=32)  # e.g. announce, platform_change, password_change
    rule = fields.CharField(max_length=16)  # the rule ID it enforces, e.g. R-ACC-2
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="deadlines", on_delete=fields.RESTRICT
    )
    unit_id: str
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="deadlines", null=True, on_delete=fields.RESTRICT
    )
    account_id: int | None
    # the person who must act; None means the account's admins / the unit's editors
    assignee: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="deadlines", null=True, on_delete=fields.RESTRICT
    )
    assignee_id: str | None
    subject = fields.CharField(max_length=128)  # what created it, e.g. "filing:12"
    # what the title is made of: the context of the message `deadline.<kind>` (account name
    # and platform key, filing id, and per kind places / filing_kind / days / names), rendered
    # when read (handlers/registry/closers.py: deadline_title). None on rows written before
    # migration 0018, which show `title` as they stored it.
    title_data: dict | None = fields.JSONField(null=True)
    # the same title rendered at write time, from the same message: what rows before 0018
    # show, and what an older release reads after a rollback; never a second wording
    title = fields.CharField(max_length=200)
    due_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)
    done_by = fields.CharField(max_length=64, null=True)
    # what the doer gave when recording it done (R-ACC-2 notice: urls, places, start, end;
    # R-ACC-3/4: the day of the platform step or the report), None until done
    evidence: dict | None = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "deadline"
        indexes = (("done_at", "due_at"),)
