"""Who reviews which level (R-REV-1..4) and who may not (R-REV-3)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import DomainError
from bot.policy import Policy
from bot.rendering import msg
from models.org import Account, OrgTree, Person
from models.review import AUTHOR_LEVEL, AUTHOR_ROLE, FIRST_REVIEW_LEVEL, Draft, ReviewStep


@dataclass(frozen=True)
class Assignment:
    person: Person
    role: str
    note: str  # why the step went above its normal role; empty if it did not


def level_label(level: int) -> str:
    return msg("level", n=level)


def final_level(policy: Policy) -> int:
    """R-REV-1: the author's level, then one level per role the profile lists."""
    return AUTHOR_LEVEL + len(policy.review.levels)


@dataclass(frozen=True)
class Rung:
    level: str
    role: str


def ladder(policy: Policy) -> list[Rung]:
    """The levels of the profile as people read them: 一审一校 by the author, then each role."""
    roles = (AUTHOR_ROLE, *policy.review.levels)
    return [Rung(level_label(n), role_label(r)) for n, r in enumerate(roles, AUTHOR_LEVEL)]


def final_role(policy: Policy, draft: Draft) -> str:
    """Who gives the final review: the profile's role for important items when needed."""
    if needs_chief(policy, draft):
        return policy.review.final_role_important
    return policy.review.levels[-1]


def role_label(role: str) -> str:
    return msg(f"role.{role}")


def needs_chief(policy: Policy, draft: Draft) -> bool:
    """R-REV-2 important items and R-REV-4 reposts from outside the allow-list."""
    outside = bool(draft.repost_url) and not policy.is_allowed_source(draft.repost_url or "")
    return draft.important or outside


def normal_role(policy: Policy, draft: Draft, level: int) -> str:
    """R-REV-1: each level's role from the profile; the final one per final_role."""
    if level == final_level(policy):
        return final_role(policy, draft)
    return policy.review.levels[level - FIRST_REVIEW_LEVEL]


async def next_up(policy: Policy, role: str, unit_id: str, excluded: set[str],
                  org: OrgTree | None = None) -> list[Person]:
    """The holders of the first role above `role` on the escalation ladder (R-REV-3)."""
    org = org or OrgTree()
    ladder = policy.review.escalation
    start = ladder.index(role) + 1 if role in ladder else len(ladder)
    for higher in ladder[start:]:
        people = [p for p in await org.holders_for(unit_id, higher) if p.id not in excluded]
        if people:
            return people
    return []


async def _least_loaded(people: list[Person]) -> Person:
    loads = [await ReviewStep.filter(assignee_id=p.id, decision__isnull=True).count()
             for p in people]
    return min(zip(loads, range(len(people)), people, strict=True))[2]


async def excluded_for(draft: Draft, level: int) -> set[str]:
    """R-REV-3: the author and whoever decided another level of this draft."""
    deciders = await ReviewStep.filter(draft_id=draft.id, decision__isnull=False,
                                       level__gt=AUTHOR_LEVEL).exclude(level=level) \
        .values_list("assignee_id", flat=True)
    return {draft.author_id, *deciders}  # type: ignore[attr-defined]


async def assign(policy: Policy, draft: Draft, account: Account, level: int,
                 excluded: set[str]) -> Assignment:
    """Pick the reviewer for a level, climbing the ladder past excluded people."""
    start = normal_role(policy, draft, level)
    ladder = policy.review.escalation[policy.review.escalation.index(start):]
    org = OrgTree()
    reasons: list[str] = []
    for role in ladder:
        found = await org.holders_for(account.unit_id, role)  # type: ignore[attr-defined]
        eligible = [p for p in found if p.id not in excluded]
        if eligible:
            note = msg("review.escalated", reasons=reasons, to=role_label(role)) if reasons else ""
            return Assignment(await _least_loaded(eligible), role, note)
        names = "、".join(p.name for p in found)
        reasons.append(msg("review.excluded_reason" if found else "review.missing_reason",
                           role=role_label(role), names=names))
    raise DomainError("review.nobody_eligible", level=level_label(level), reasons=reasons)
