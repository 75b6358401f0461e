"""The registry beyond models.org.Account: account teams and lifecycle filings (R-ACC-1..9)."""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from models.org import Account, Person, Unit

TEAM_ROLES = ("leader", "section_head", "admin")  # 分管领导, 科室负责人, 管理员 (R-ACC-8)


class TeamMember(Model):
    """One row of the filing form's 管理队伍, phones are personal data (shown to few)."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="team", on_delete=fields.CASCADE
    )
    account_id: int
    role = fields.CharField(max_length=16)
    name = fields.CharField(max_length=64)
    post = fields.CharField(max_length=128, default="")
    office_phone = fields.CharField(max_length=32, default="")
    mobile = fields.CharField(max_length=32, default="")
    # the staff member this row names, when the unit has one by that name
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="team_rows", null=True, on_delete=fields.SET_NULL
    )
    person_id: str | None

    class Meta:
        table = "team_member"


class FilingKind(enum.StrEnum):
    OPEN = "open"  # 开设
    CHANGE = "change"  # 变更
    SUSPEND = "suspend"  # 暂停
    RESUME = "resume"  # 恢复 (a suspended account runs again)
    CLOSE = "close"  # 关停
    CANCEL = "cancel"  # 注销
    BACKFILL = "backfill"  # 补录
    EMERGENCY = "emergency"  # 紧急关停 (R-ACC-9): effective at once, reported upward


class FilingState(enum.StrEnum):
    CHIEF = "chief"  # waiting for the unit chief (R-ACC-1)
    SUPERVISOR = "supervisor"  # waiting for a supervisor of a unit above
    APPROVED = "approved"
    REJECTED = "rejected"


class Filing(Model):
    """A 备案: the form's values in payload, approvals records each stage's decision."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(FilingKind, max_length=16)
    state = fields.CharEnumField(FilingState, max_length=16, default=FilingState.CHIEF)
    # while state is supervisor: which stage of the profile's chain above the unit waits
    # (1 = the first, filings.approval_stages; R-ACC-1)
    step = fields.IntField(null=True, default=1)  # rows from before 0012 are set to 1 there
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="filings", on_delete=fields.RESTRICT
    )
    unit_id: str
    # None until an 开设 / 补录 is approved and the account exists
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="filings", null=True, on_delete=fields.RESTRICT
    )
    account_id: int | None
    account_name = fields.CharField(max_length=128)
    platform = fields.CharField(max_length=32)
    # None: a 补录 written by `govmedia org load` / `accounts import` (registry/bootstrap.py)
    filer: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="filings", null=True, on_delete=fields.RESTRICT
    )
    filer_id: str
    payload: dict = fields.JSONField(default=dict)
    flags: list = fields.JSONField(default=list)  # rule checks shown on the card (R-ACC-5/6)
    approvals: list = fields.JSONField(default=list)  # [{stage, person, decision, comment, at}]
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "filing"
        indexes = (("state", "unit_id"), ("account_name", "platform", "state"))
