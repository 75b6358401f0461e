"""审核登记簿: one row per post published in a period (R-REV-5), for a unit and those below."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import utcnow
from bot.datefmt import local_minute
from bot.policy import Policy
from bot.precheck import ERROR
from bot.rendering import msg
from bot.reports.common import Head, audit_head
from handlers.reports.scope import Period, Scope, period_of, scope_of
from handlers.review.routing import final_level
from models.org import Account, Person, Unit, chunks
from models.precheck import PrecheckFinding
from models.review import AUTHOR_LEVEL, FIRST_REVIEW_LEVEL, Decision, Draft, DraftState, ReviewStep

# the register's columns by key; their heads are register.col.<key> in templates/
COLUMNS = ("seq", "draft", "published", "unit", "account", "title", "origin", "author",
           "second", "second_at", "third", "third_at", "versions", "returns", "errors", "url")


def header() -> tuple[str, ...]:
    return tuple(msg(f"register.col.{key}") for key in COLUMNS)


@dataclass(frozen=True)
class Register:
    scope: Scope
    period: Period
    rows: list[tuple[Any, ...]]  # in COLUMNS' order
    head: Head
    generated: str


async def load_register(first: date, last: date, unit_id: str | None, policy: Policy,
                        tz: ZoneInfo) -> Register:
    """The register's rows; 二审 is the first review level, 三审 the profile's final one."""
    last_level = final_level(policy)
    scope = await scope_of(unit_id)
    period = period_of(first, last, tz)
    query = Draft.filter(state=DraftState.PUBLISHED, published_at__gte=period.start,
                         published_at__lt=period.end)
    if scope.unit_ids is not None:
        query = query.filter(account__unit_id__in=scope.unit_ids)
    drafts = await query.order_by("published_at", "id").values_list(
        "id", "title", "repost_url", "version", "published_at", "published_url", "account_id",
        "author_id")
    ids = [d[0] for d in drafts]
    steps, errors = await _steps(ids), await _confirmed_errors(ids)
    accounts = await _accounts({d[6] for d in drafts})
    units = dict(await Unit.all().values_list("id", "name"))
    people = await _names({d[7] for d in drafts} | {s[2] for ss in steps.values() for s in ss})
    rows = []
    for n, (draft_id, title, repost, version, at, url, account_id, author) in \
            enumerate(drafts, start=1):
        name, platform, unit = accounts[account_id]
        final = {s[1]: s for s in steps[draft_id] if s[0] == version and s[3] == Decision.APPROVE}
        second, third = final.get(FIRST_REVIEW_LEVEL), final.get(last_level)
        rows.append((
            n, draft_id, local_minute(at, tz), units.get(unit, unit),
            msg("account.label", name=name, platform=msg(f"platform.{platform}")), title,
            msg("records.origin_repost" if repost else "records.origin_original"),
            people.get(author, author),
            people.get(second[2], "") if second else "",
            local_minute(second[4], tz) if second else "",
            people.get(third[2], "") if third else "", local_minute(third[4], tz) if third else "",
            version, sum(s[3] == Decision.REJECT for s in steps[draft_id]),
            errors.get((draft_id, version), 0), url or ""))
    return Register(scope, period, rows, await audit_head(), local_minute(utcnow(), tz))


async def _steps(ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    """(version, level, assignee, decision, decided_at) of every decided step, per draft."""
    found: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for part in chunks(ids):
        for draft_id, *rest in await ReviewStep.filter(
                draft_id__in=part, level__gt=AUTHOR_LEVEL, decision__isnull=False).values_list(
                "draft_id", "version", "level", "assignee_id", "decision", "decided_at"):
            found[draft_id].append(tuple(rest))
    return found


async def _confirmed_errors(ids: list[int]) -> dict[tuple[int, int], int]:
    """Error findings of each version that nobody marked as a false positive (they had to
    be confirmed before 通过, R-REV-6)."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for part in chunks(ids):
        for draft_id, version in await PrecheckFinding.filter(
                draft_id__in=part, severity=ERROR, false_positive_at__isnull=True) \
                .values_list("draft_id", "version"):
            counts[(draft_id, version)] += 1
    return counts


async def _accounts(ids: set[int]) -> dict[int, tuple[str, str, str]]:
    found: dict[int, tuple[str, str, str]] = {}
    for part in chunks(sorted(ids)):
        for account_id, *rest in await Account.filter(id__in=part).values_list(
                "id", "name", "platform", "unit_id"):
            found[account_id] = tuple(rest)
    return found


async def _names(ids: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in chunks(sorted(ids)):
        found.update(await Person.filter(id__in=part).values_list("id", "name"))
    return found
