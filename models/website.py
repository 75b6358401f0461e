"""A government website's columns (栏目) and when each was last updated (rule R-UPD-4).

The website itself is an account whose platform is "website"; its columns each have a kind
that decides how long they may go without an update (the profile's [website] section).
"""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from models.org import Account


class ColumnKind(enum.StrEnum):
    HOME = "home"  # 网站主页消息
    NEWS = "news"  # 动态、要闻、工作信息
    NOTICE = "notice"  # 通知、公告、政策文件
    FIXED = "fixed"  # 概况信息、政府信息公开指南、机关简介等固定内容


class WebsiteColumn(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="columns", on_delete=fields.CASCADE
    )
    account_id: int
    name = fields.CharField(max_length=64)
    kind = fields.CharEnumField(ColumnKind, max_length=16)
    last_update_at = fields.DatetimeField(null=True)
    updated_by = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()  # the reminders count from it until a first update
    active = fields.BooleanField(default=True)

    class Meta:
        table = "website_column"
        unique_together = (("account", "name"),)
        # the reminder scan's range queries, one per kind
        indexes = (("active", "kind", "last_update_at", "created_at"),)
