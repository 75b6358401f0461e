"""Drafts and their review steps (三审三校, R-REV-1..5)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.org import Account, Person

if TYPE_CHECKING:  # models.relay imports this module
    from models.relay import RelayTask

# R-REV-1: level 1 is always the author's own 一审; the profile's review.levels name the
# role of each level after it, and so how many levels there are.
AUTHOR_LEVEL = 1
AUTHOR_ROLE = "editor"  # the role the author's own step is recorded with
FIRST_REVIEW_LEVEL = AUTHOR_LEVEL + 1


class DraftState(enum.StrEnum):
    RECEIVING = "receiving"  # more messages or pictures of this version may still come
    HELD = "held"  # waiting for the author's answer before review starts (R-REV-9 maps)
    REVIEWING = "reviewing"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"  # taken back by its author (撤回, issue 20); revised like a return
    APPROVED = "approved"
    PUBLISHED = "published"


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Draft(Model):
    """A post under review, #N in chat is its id. title/body are the current version."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="drafts", on_delete=fields.RESTRICT
    )
    account_id: int
    author: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="drafts", on_delete=fields.RESTRICT
    )
    author_id: str
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    repost_url = fields.CharField(max_length=1024, null=True)
    important = fields.BooleanField(default=False)
    # `重大：是` (R-REV-2 major class, 001 Art.19): the final review is the chief's. Came
    # after the first release: nullable so a migration can add it, never NULL
    major = fields.BooleanField(null=True, default=False)
    version = fields.IntField(default=1)
    state = fields.CharEnumField(DraftState, max_length=16, default=DraftState.REVIEWING)
    level = fields.IntField(default=FIRST_REVIEW_LEVEL)  # the level waiting for a decision
    published_url = fields.CharField(max_length=1024, null=True)
    published_at = fields.DatetimeField(null=True)
    # the review form's fields (R-REV-5, 002 appendix 2), option lines at submission:
    # 发布类别 (a key of bot.reports.common.PUBLISH_CATEGORIES, "" = from the platform)
    # and 要求发布时间 (NULL = as soon as approved). category came after the first
    # release: nullable in the database so a migration can add it, never NULL (backfilled)
    category = fields.CharField(max_length=16, null=True, default="")
    requested_at = fields.DatetimeField(null=True)
    # the relay task this draft answers (`任务：N`); publishing it closes the unit's share
    relay_task: fields.ForeignKeyNullableRelation[RelayTask] = fields.ForeignKeyField(
        "models.RelayTask", related_name="drafts", null=True, on_delete=fields.SET_NULL
    )
    relay_task_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "draft"
        # the reminder scan (state, account); the quarterly report's publication times
        indexes = (("state", "account_id", "published_at"),)


class DraftVersion(Model):
    """Every submitted version is kept for the review record (R-REV-5)."""

    id = fields.IntField(primary_key=True)
    draft: fields.ForeignKeyRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="versions", on_delete=fields.CASCADE
    )
    draft_id: int
    version = fields.IntField()
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "draft_version"
        unique_together = (("draft", "version"),)


class ReviewStep(Model):
    """One level of one version, decision is NULL while it waits. Level 1 is the author."""

    id = fields.IntField(primary_key=True)
    draft: fields.ForeignKeyRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="steps", on_delete=fields.CASCADE
    )
    draft_id: int
    version = fields.IntField()
    level = fields.IntField()
    role = fields.CharField(max_length=16)
    assignee: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="review_steps", on_delete=fields.RESTRICT
    )
    assignee_id: str
    # why the step went above its normal role (R-REV-3), as shown on the card
    escalation_note = fields.TextField(default="")
    decision = fields.CharEnumField(Decision, max_length=8, null=True)
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)
    # who holds the step since when (转交 / 改派 / a deputy move it, issue 20; NULL: since
    # created_at) and the absent person the holder stands in for (请假 with a 代理人)
    assigned_at = fields.DatetimeField(null=True)
    on_behalf_of = fields.CharField(max_length=64, null=True)
    # every move of the step, oldest first: {"kind": handover|reassign|deputy|away|nudge|
    # withdraw_request, "from", "to", "by", "reason", "at", and "absence" (its id) for one an
    # absence caused; "by" is a person id, or "scheduler"} (shown on the card and the record)
    moves: list[Any] = fields.JSONField(null=True, default=list)

    def held_since(self) -> datetime:
        return self.assigned_at or self.created_at

    class Meta:
        table = "review_step"
        unique_together = (("draft", "version", "level"),)
        # … and the quarterly report's review times (decided in the period)
        indexes = (("assignee_id", "decision"), ("decision", "created_at"), ("decided_at",))
