"""Obligations people open in chat and close with a command, each with its deadline:
rectifications (R-FIX-1), public messages (R-MSG-1), policy interpretations (R-INT-1) and
counterfeit-account reports (R-ACC-14).

Each row is open (its done column NULL), done on time (done ≤ due) or done late; `tally`
counts them per unit for a period, which is what the quarterly report (R-INS-1) needs.
The reminder scan finds due rows with one indexed range query per kind.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from tortoise import fields
from tortoise.expressions import F
from tortoise.models import Model

from models.org import Account, Person, Unit


class FixState(enum.StrEnum):
    OPEN = "open"  # the unit must fix it
    SUBMITTED = "submitted"  # the unit says it is fixed; the opener confirms or reopens
    DONE = "done"  # the opener confirmed


class Rectification(Model):
    """`整改 <账号名> <问题> [天数]`, its id is the 编号 people type (R-FIX-1)."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="rectifications", on_delete=fields.RESTRICT
    )
    account_id: int
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="rectifications", on_delete=fields.RESTRICT
    )
    unit_id: str
    problem = fields.TextField()
    opened_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="rectifications_opened", on_delete=fields.RESTRICT
    )
    opened_by_id: str
    opened_at = fields.DatetimeField()
    days = fields.IntField()
    due_at = fields.DatetimeField()
    state = fields.CharEnumField(FixState, max_length=16, default=FixState.OPEN)
    round = fields.IntField(default=1)  # a reopened rectification is chased afresh
    submitted_at = fields.DatetimeField(null=True)  # the latest `已整改`
    submitted_by = fields.CharField(max_length=64, null=True)
    note = fields.TextField(default="")  # what was done, or where to see it
    reason = fields.TextField(default="")  # why the opener reopened it (the last time)
    # when the fix the opener accepted was made: on time means done_at ≤ due_at
    done_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "rectification"
        indexes = (("state", "due_at"), ("unit_id", "opened_at"))


class PublicMessage(Model):
    """`留言 <账号名> <摘要>`: a public message or comment to acknowledge, then answer (R-MSG-1)."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="public_messages", on_delete=fields.RESTRICT
    )
    account_id: int
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="public_messages", on_delete=fields.RESTRICT
    )
    unit_id: str
    summary = fields.TextField()
    registered_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="public_messages", on_delete=fields.RESTRICT
    )
    registered_by_id: str
    received_at = fields.DatetimeField()
    ack_due_at = fields.DatetimeField()
    answer_due_at = fields.DatetimeField()
    acked_at = fields.DatetimeField(null=True)
    acked_by = fields.CharField(max_length=64, null=True)
    answered_at = fields.DatetimeField(null=True)
    answered_by = fields.CharField(max_length=64, null=True)
    url = fields.CharField(max_length=1024, default="")  # where the answer is published

    class Meta:
        table = "public_message"
        indexes = (("acked_at", "ack_due_at"), ("answered_at", "answer_due_at"),
                   ("unit_id", "received_at"))


class Interpretation(Model):
    """`解读 <文件标题> [发布日期] [网址]`: the unit that issued a major policy interprets it
    (R-INT-1)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="interpretations", on_delete=fields.RESTRICT
    )
    unit_id: str
    title = fields.CharField(max_length=200)
    issued_on = fields.DateField()
    source_url = fields.CharField(max_length=1024, default="")  # the document itself
    opened_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="interpretations", on_delete=fields.RESTRICT
    )
    opened_by_id: str
    opened_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)
    done_by = fields.CharField(max_length=64, null=True)
    url = fields.CharField(max_length=1024, default="")  # the published interpretation

    class Meta:
        table = "interpretation"
        indexes = (("done_at", "due_at"), ("unit_id", "opened_at"))


class CounterfeitStep(enum.StrEnum):
    """What R-ACC-14 requires, in order; CLOSED or UNFOUNDED ends the report."""

    VERIFIED = "verified"  # 排查核实
    AUTHORITIES = "authorities"  # 商请网信、公安协同处理
    PLATFORM = "platform"  # 致函平台运营方关停
    FILED = "filed"  # 报上一级主管单位备案
    CLOSED = "closed"  # the platform closed the counterfeit
    UNFOUNDED = "unfounded"  # verification found no counterfeit


class CounterfeitReport(Model):
    """`仿冒 <平台> <名称或网址> <说明>`: a counterfeit account, tracked to closure (R-ACC-14)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="counterfeits", on_delete=fields.RESTRICT
    )
    unit_id: str
    platform = fields.CharField(max_length=64)
    target = fields.CharField(max_length=1024)  # the counterfeit's name or address
    note = fields.TextField(default="")
    reported_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="counterfeits", on_delete=fields.RESTRICT
    )
    reported_by_id: str
    reported_at = fields.DatetimeField()
    verify_due_at = fields.DatetimeField()
    # {step: {"at": iso, "by": person id, "note": text}}, for CounterfeitStep values
    steps: dict = fields.JSONField(default=dict)
    verified_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    outcome = fields.CharField(max_length=16, default="")  # closed | unfounded

    class Meta:
        table = "counterfeit_report"
        indexes = (("closed_at", "verified_at", "verify_due_at"), ("unit_id", "reported_at"))


# --- what the quarterly report counts (R-INS-1) ---

@dataclass
class Tally:
    on_time: int = 0
    late: int = 0
    open: int = 0


# per model: the column a row's period is counted by, its deadline and when it was done
KINDS: dict[str, tuple[type[Model], str, str, str]] = {
    "rectification": (Rectification, "opened_at", "due_at", "done_at"),  # R-FIX-1
    "public_message": (PublicMessage, "received_at", "answer_due_at", "answered_at"),  # R-MSG-1
    "interpretation": (Interpretation, "opened_at", "due_at", "done_at"),  # R-INT-1
    "counterfeit": (CounterfeitReport, "reported_at", "verify_due_at", "verified_at"),  # R-ACC-14
}


async def tally(kind: str, start: datetime, end: datetime,
                unit_ids: list[str] | None = None) -> dict[str, Tally]:
    """Rows of a kind opened in [start, end), per unit: done on time, done late, still open.
    Times are aware datetimes (compared in UTC, as stored)."""
    model, opened, due, done = KINDS[kind]
    base = model.filter(**{f"{opened}__gte": start, f"{opened}__lt": end})
    if unit_ids is not None:
        base = base.filter(unit_id__in=unit_ids)
    counts: dict[str, Tally] = defaultdict(Tally)
    parts = {"on_time": base.filter(**{f"{done}__isnull": False, f"{done}__lte": F(due)}),
             "late": base.filter(**{f"{done}__isnull": False, f"{done}__gt": F(due)}),
             "open": base.filter(**{f"{done}__isnull": True})}
    for name, query in parts.items():
        for unit_id in await query.values_list("unit_id", flat=True):
            tallied = counts[str(unit_id)]
            setattr(tallied, name, getattr(tallied, name) + 1)
    return dict(counts)
