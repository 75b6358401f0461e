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
ACCOUNT_STATUSES = ("normal", "suspended", "closed", "cancelled")  # 正常/暂停/关停/注销 (R-ACC-8)
# a person's id is their user id on every channel unless the org file gives another
CHANNEL_ID_FIELDS = {"wecom": "wecom_id", "dingtalk": "dingtalk_id"}


class Unit(Model):
    """A supervising office or a host unit (主办单位), units nest by parent."""

    id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=128)
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    active = fields.BooleanField(default=True)
    # the unit's WeCom group robot (群机器人) for group digests and escalations
    wecom_webhook_key = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "unit"


class Person(Model):
    """A member of staff, id is their user id in the messaging app."""

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
    """A 政务新媒体 account on the registry (R-ACC-8), name+platform is its natural key."""

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
    # the rest of the filing form (R-ACC-8, 002 appendix 1, 004 appendix); set by filings
    # and `accounts import`, not by the org file; the team is models.registry.TeamMember.
    # The text columns came after the first release: nullable in the database so that a
    # migration can add them to a full table, but never NULL (default here, backfilled there).
    platform_id = fields.CharField(null=True, max_length=128, default="")  # 账号ID
    # e.g. which 其他 platform
    platform_note = fields.CharField(null=True, max_length=64, default="")
    organizer = fields.CharField(null=True, max_length=128, default="")  # 承办单位
    opened_on = fields.DateField(null=True)
    certified = fields.BooleanField(null=True)
    news_licence = fields.BooleanField(null=True)
    intro = fields.TextField(null=True, default="")
    url = fields.CharField(null=True, max_length=1024, default="")
    vendor = fields.CharField(null=True, max_length=128, default="")  # 服务外包单位 (R-ACC-13)
    vendor_qualification = fields.CharField(null=True, max_length=256, default="")
    followers = fields.IntField(null=True)
    # when it came onto the registry: the reminders count from it until a first update
    created_at = fields.DatetimeField(auto_now_add=True, null=True)  # backfilled, never NULL

    class Meta:
        table = "account"
        unique_together = (("name", "platform"),)
        # the reminder scan's range queries (stale accounts, password rotation)
        indexes = (("status", "content", "last_update_at", "created_at"),
                   ("status", "password_changed_at", "created_at"))
