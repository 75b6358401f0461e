"""The organisation: units, people and their roles, accounts (loaded from the org file)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

ROLES = ("editor", "reviewer", "approver", "chief", "supervisor")
PLATFORMS = (
    "wechat_service", "wechat_subscription", "wechat_miniprogram", "weibo", "douyin",
    "kuaishou", "toutiao", "xigua", "app", "website", "other",
)
CONTENT_KINDS = ("text", "video")
# a person's id is their user id on every channel unless the org file gives another
CHANNEL_ID_FIELDS = {"wecom": "wecom_id", "dingtalk": "dingtalk_id"}


class Unit(Model):
    """A supervising office or a host unit (主办单位); units nest by parent."""

    id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=128)
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    active = fields.BooleanField(default=True)

    class Meta:
        table = "unit"


class Person(Model):
    """A member of staff; id is their user id in the messaging app."""

    id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=64)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="people", on_delete=fields.RESTRICT
    )
    roles: list[str] = fields.JSONField(default=list)
    wecom_id = fields.CharField(max_length=64, null=True, unique=True)
    dingtalk_id = fields.CharField(max_length=64, null=True, unique=True)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "person"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def address(self, channel: str) -> str:
        """This person's user id on a channel."""
        field = CHANNEL_ID_FIELDS.get(channel)
        return (getattr(self, field) if field else None) or self.id

    @classmethod
    async def by_address(cls, channel: str, user_id: str) -> Person | None:
        """The active person a channel's user id belongs to."""
        field = CHANNEL_ID_FIELDS.get(channel)
        if field:
            person = await cls.get_or_none(**{field: user_id}, active=True)
            if person is not None:
                return person
        return await cls.get_or_none(id=user_id, active=True)


class Account(Model):
    """A 政务新媒体 account on the registry (R-ACC-8); name+platform is its natural key."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128)
    platform = fields.CharField(max_length=32)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="accounts", on_delete=fields.RESTRICT
    )
    content = fields.CharField(max_length=8, default="text")
    admins: fields.ManyToManyRelation[Person] = fields.ManyToManyField(
        "models.Person", related_name="admin_of", through="account_admin"
    )
    status = fields.CharField(max_length=16, default="normal")
    last_update_at = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField(null=True)
    # when it came onto the registry: the reminders count from it until a first update
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"
        unique_together = (("name", "platform"),)
        # the reminder scan's range queries (stale accounts, password rotation)
        indexes = (("status", "content", "last_update_at", "created_at"),
                   ("status", "password_changed_at", "created_at"))
