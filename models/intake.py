"""A draft on its way in: the messages and pictures still being joined, and what the bot
asked the author before it can go on. Kept in the database, so a restart or another
replica carries on where this one stopped."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.files import StoredFile
from models.org import Account, Person
from models.review import Draft

ASK_ACCOUNT = "account"  # a .docx came without an account name: which account is it for?
ASK_MAP = "map"  # pictures and a map cue (R-REV-9): the 审图号, or 标准地图?
ASK_DRAFT = "draft"  # `投稿 账号` alone: the title and body (or a .docx) come next
ASK_KINDS = (ASK_ACCOUNT, ASK_MAP, ASK_DRAFT)


class Compose(Model):
    """A draft version still being received: consecutive messages and pictures from its
    author are joined into it until closes_at, then it goes to review."""

    id = fields.IntField(primary_key=True)
    draft: fields.ForeignKeyRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="composes", on_delete=fields.CASCADE
    )
    draft_id: int
    version = fields.IntField()
    author: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="composes", on_delete=fields.RESTRICT
    )
    author_id: str
    # where the author wrote from: the receipts go back there
    channel = fields.CharField(max_length=16)
    user_id = fields.CharField(max_length=64)
    messages = fields.IntField(default=1)
    closes_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "draft_compose"
        indexes = (("closed_at", "closes_at"), ("author_id", "closed_at"))


class Question(Model):
    """Something the bot asked a person and waits for (their next plain message answers it)."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="questions", on_delete=fields.CASCADE
    )
    person_id: str
    kind = fields.CharField(max_length=8)  # one of ASK_KINDS
    draft: fields.ForeignKeyNullableRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="questions", null=True, on_delete=fields.CASCADE
    )
    draft_id: int | None
    version = fields.IntField(null=True)
    file: fields.ForeignKeyNullableRelation[StoredFile] = fields.ForeignKeyField(
        "models.StoredFile", related_name="questions", null=True, on_delete=fields.RESTRICT
    )
    file_id: int | None
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="questions", null=True, on_delete=fields.CASCADE
    )
    account_id: int | None
    asked_at = fields.DatetimeField(auto_now_add=True)
    answered_at = fields.DatetimeField(null=True)
    answer = fields.TextField(default="")

    class Meta:
        table = "question"
        indexes = (("person_id", "answered_at"),)
