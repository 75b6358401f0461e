"""Who holds each account's permissions (R-SEC-5), besides the admins on the org file.

A holder is staff (a person on the org file), a vendor's employee (外包) or software
(智能客服 …); permissions are never handed wholly to the last two, so a holder who is not
staff is flagged to the unit's chief. Revoking keeps the row (who held it, until when).
"""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from models.org import Account, Person


class HolderKind(enum.StrEnum):
    STAFF = "staff"
    VENDOR = "vendor"
    SOFTWARE = "software"


class PermissionHolder(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="holders", on_delete=fields.CASCADE
    )
    account_id: int
    name = fields.CharField(max_length=64)
    kind = fields.CharEnumField(HolderKind, max_length=16)
    # the staff member, when the holder is one
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="permissions", null=True, on_delete=fields.SET_NULL
    )
    person_id: str | None
    recorded_by = fields.CharField(max_length=64)
    recorded_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_by = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "permission_holder"
        indexes = (("account_id", "revoked_at"), ("kind", "revoked_at"))
