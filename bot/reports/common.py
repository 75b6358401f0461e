"""What every report shares: the audit head it was made from, local times, file names."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from bot import audit
from bot.audit import Head
from bot.datefmt import date_cn
from bot.rendering import msg

PDF, XLSX = "pdf", "xlsx"
FORMATS = (PDF, XLSX)
CONTENT_TYPES = {
    PDF: "application/pdf",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# 002 appendix 2: 信息发布类别 □局网站 □政务公开 □微博 □微信 □其他 (stable keys; the labels
# are records.category.<key> in templates/messages/reports.toml)
PUBLISH_CATEGORIES = ("website", "open_gov", "weibo", "wechat", "other")


def default_category(platform: str) -> str:
    """The form's 发布类别 when the author did not name one: from the account's platform."""
    if platform.startswith("wechat"):
        return "wechat"
    return platform if platform in ("weibo", "website") else "other"


async def audit_head() -> Head:
    """The audit chain's head when a report is made (bot.audit.head, what `govmedia audit
    head` prints): a printed record names it, so the chain can be checked against it with
    `govmedia audit verify --head COUNT:HASH`."""
    return await audit.head()


def short(head: Head) -> str:
    return head.hash[:16]


@cache
def label(key: str) -> str:
    """A message without parameters, rendered once: reports print the same few labels
    (platforms, statuses) on every one of thousands of rows."""
    return msg(key)


@cache
def password_label(state: str, days: int) -> str:
    return msg(f"inspection.password_{state}", days=days)




def local_date_cn(moment: datetime | None, tz: ZoneInfo) -> str:
    """2026年10月1日, as the seed forms write dates."""
    if moment is None:
        return ""
    return date_cn(moment.astimezone(tz))


def hours(seconds: float) -> float:
    return round(seconds / 3600, 1)
