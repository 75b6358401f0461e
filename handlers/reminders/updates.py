"""How often an account must update, in each seed's own terms (R-UPD-1..3).

- R-UPD-1 / R-UPD-2 (000 Art.5, 002 Art.6): the gap since the last update, text 7 days and
  audio/video 10; 001 Art.20 weekly for every account (its profile sets video to 7 too).
- R-UPD-3 (003 Art.12): "每周应更新3次或以上" is counted per natural week (Monday–Sunday,
  office time zone) when the profile sets `updates.count_per_week`; "如开设平台有更新次数和
  时间限制的，应确保两次更新间隔不超过10天（含）" applies only to accounts whose platform limits
  posting (the account's `limited_posting` flag, or a platform in `updates.limited_platforms`),
  with `updates.limited_max_gap_days`; such accounts are not counted per week.

An update is a publication recorded with `已发布 #N 网址` (the draft's published_at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from tortoise.expressions import Q

from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from models.org import Account
from models.review import Draft


@dataclass(frozen=True)
class UpdateRule:
    """One account's update rule under the profile."""

    gap_days: int  # the longest gap between two updates
    per_week: int  # updates counted per natural week; 0: not counted
    limited: bool  # the platform limits posting (R-UPD-3: only the gap applies)
    rule: str


def is_limited(policy: Policy, platform: str, flag: bool | None) -> bool:
    """R-UPD-3: does the platform itself limit how often this account can post?"""
    return bool(flag) or platform in policy.updates.limited_platforms


def limited_q(policy: Policy) -> Q:
    """The accounts whose own gap rule applies (R-UPD-3), as a query filter."""
    return Q(limited_posting=True) | Q(platform__in=list(policy.updates.limited_platforms))


def gap_applies_to_limited(policy: Policy) -> bool:
    """Does the profile give accounts whose platform limits posting a gap of their own?"""
    return policy.updates.limited_max_gap_days > 0


def update_rule(policy: Policy, content: str, platform: str, flag: bool | None) -> UpdateRule:
    updates = policy.updates
    if gap_applies_to_limited(policy) and is_limited(policy, platform, flag):
        return UpdateRule(updates.limited_max_gap_days, 0, True, "R-UPD-3")
    video = content == "video"
    gap = updates.video_max_gap_days if video else updates.text_max_gap_days
    if updates.count_per_week:
        return UpdateRule(gap, updates.min_updates_per_week, False, "R-UPD-3")
    return UpdateRule(gap, 0, False, "R-UPD-2" if video else "R-UPD-1")


def rule_of(policy: Policy, account: Account) -> UpdateRule:
    return update_rule(policy, account.content, account.platform, account.limited_posting)


def week_start(moment: datetime, hours: WorkingHours) -> datetime:
    """Monday 00:00 of the moment's natural week in the office's zone, in UTC."""
    here = hours.local(moment)
    monday = (here - timedelta(days=here.weekday())).date()
    return datetime.combine(monday, datetime.min.time(), hours.tz).astimezone(UTC)


async def published_counts(since: datetime, until: datetime,
                           account_ids: list[int] | None = None) -> dict[int, int]:
    """Publications per account in [since, until)."""
    query = Draft.filter(published_at__gte=since, published_at__lt=until)
    if account_ids is not None:
        query = query.filter(account_id__in=account_ids)
    counts: dict[int, int] = {}
    for account_id in cast(list[int], await query.values_list("account_id", flat=True)):
        counts[account_id] = counts.get(account_id, 0) + 1
    return counts


@dataclass(frozen=True)
class WeekCount:
    count: int
    minimum: int
    left_days: int  # days of this week still to come, today included


async def this_week(policy: Policy, account: Account, now: datetime,
                    hours: WorkingHours) -> WeekCount | None:
    """R-UPD-3: this week's updates against the weekly minimum (None: not counted)."""
    rule = rule_of(policy, account)
    if not rule.per_week:
        return None
    start = week_start(now, hours)
    counts = await published_counts(start, now + timedelta(seconds=1), [account.id])
    left = 7 - hours.local(now).weekday()
    return WeekCount(counts.get(account.id, 0), rule.per_week, left)
