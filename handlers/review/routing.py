"""Who reviews which level (R-REV-1..4, R-REV-7) and who may not (R-REV-3).

The final level has two classes of escalation (R-REV-2): an important item (`重要：是`)
goes to the profile's `final_role_important` (the chief in 000/002/003, 分管 in 001
Art.19); a major or sensitive one goes to `final_role_major` (the chief everywhere): the
author's `重大：是`, an open pre-check finding that needs the chief (a local sensitive event,
R-REV-7; a commercial or self-media link or source, R-REV-4), or a repost from outside the
allow-list (R-REV-4). The route says why, on the card and in the author's receipt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from tortoise.functions import Count

from bot.errors import DomainError
from bot.fixed import Fixed
from bot.policy import Policy
from bot.precheck.findings import SENSITIVE_EVENT, SOURCE_SPAN
from bot.rendering import msg
from handlers.common.absence import away_at
from handlers.precheck.review import chief_findings
from models.org import (
    Absence,
    Account,
    OrgTree,
    Person,
    event_forget,
    event_keep,
    event_memo,
    event_org,
    event_update,
)
from models.review import AUTHOR_LEVEL, AUTHOR_ROLE, FIRST_REVIEW_LEVEL, Draft, ReviewStep


@dataclass(frozen=True)
class Assignment:
    person: Person
    role: str
    note: str  # why the step went above its normal role; empty if it did not
    on_behalf_of: str | None = None  # the absent holder a deputy stands in for (请假)


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


@dataclass(frozen=True)
class Route:
    """Who gives the final review and why it is not the profile's last level's role."""

    role: str
    reasons: tuple[str, ...]  # rendered, each with its rule; empty for an ordinary item
    major: bool  # the major/sensitive class (R-REV-2, R-REV-4, R-REV-7)


def role_label(role: str) -> str:
    return msg(f"role.{role}")


async def final_route(policy: Policy, draft: Draft) -> Route:
    """R-REV-2 two classes; R-REV-4 and R-REV-7 put a draft in the major class."""
    review = policy.review
    major: list[str] = []
    if draft.major:
        major.append(msg("route.major_author"))  # rule R-REV-2 (001 Art.19)
    url = draft.repost_url or ""
    if url and not policy.is_allowed_source(url):
        major.append(msg("route.repost", url=url[:80]))  # rule R-REV-4
    for finding in await chief_findings(draft):
        if finding.start == SOURCE_SPAN:
            continue  # the `转载：` line, said above
        key = "route.sensitive" if finding.kind == SENSITIVE_EVENT else "route.commercial"
        reason = msg(key, text=finding.text[:40])  # rule R-REV-7 / R-REV-4
        if reason not in major:
            major.append(reason)
    important = [msg("route.important", role=role_label(review.final_role_important))] \
        if draft.important else []
    if major:
        return Route(review.final_role_major, tuple(major + important), True)
    if important:
        return Route(review.final_role_important, tuple(important), False)
    return Route(review.levels[-1], (), False)


def route_note(route: Route) -> str:
    """The card's and the page's line on who gives the final review and why ("" if usual)."""
    if not route.reasons:
        return ""
    key = "route.card_major" if route.major else "route.card_important"
    return msg(key, role=role_label(route.role), reasons=route.reasons)


async def final_role(policy: Policy, draft: Draft) -> str:
    """Who gives the final review (final_route's role)."""
    return (await final_route(policy, draft)).role


async def normal_role(policy: Policy, draft: Draft, level: int) -> str:
    """R-REV-1: each level's role from the profile; the final one per final_route."""
    if level == final_level(policy):
        return await final_role(policy, draft)
    return policy.review.levels[level - FIRST_REVIEW_LEVEL]


async def next_up(policy: Policy, role: str, unit_id: str, excluded: set[str],
                  org: OrgTree | None = None) -> list[Person]:
    """The holders of the first role above `role` on the escalation ladder (R-REV-3)."""
    org = org or event_org()
    ladder = policy.review.escalation
    start = ladder.index(role) + 1 if role in ladder else len(ladder)
    for higher in ladder[start:]:
        people = [p for p in await org.holders_for(unit_id, higher) if p.id not in excluded]
        if people:
            return people
    return []


class Roster:
    """Who of a plan's candidates is away (请假) and how many open steps each holds (where
    there is a choice between them): read for all of them at once, one query each, and kept
    while one route is planned (nothing in between writes steps or absences)."""

    def __init__(self) -> None:
        self._away: dict[str, Absence | None] = {}
        self._loads: dict[str, int] = {}

    async def away(self, person_ids: Iterable[str]) -> dict[str, Absence]:
        """away_at(person_ids), each person read once."""
        ids = list(dict.fromkeys(person_ids))
        missing = [i for i in ids if i not in self._away]
        if missing:
            found = await away_at(missing)
            self._away.update((i, found.get(i)) for i in missing)
        return {i: absence for i in ids if (absence := self._away[i]) is not None}

    async def loads(self, person_ids: Iterable[str]) -> dict[str, int]:
        """How many undecided steps each person holds (one GROUP BY for the unknown)."""
        ids = list(dict.fromkeys(person_ids))
        missing = [i for i in ids if i not in self._loads]
        if missing:
            rows = await ReviewStep.filter(assignee_id__in=missing, decision__isnull=True) \
                .annotate(open=Count("id")).group_by("assignee_id") \
                .values_list("assignee_id", "open")
            self._loads.update(dict.fromkeys(missing, 0))
            self._loads.update((cast(str, i), cast(int, n)) for i, n in rows)
        return {i: self._loads[i] for i in ids}


async def _least_loaded(people: list[Person], roster: Roster) -> Person:
    if len(people) == 1:
        return people[0]  # no choice to make: their load is not read
    loads = await roster.loads(p.id for p in people)
    return min(zip([loads[p.id] for p in people], range(len(people)), people,
                   strict=True))[2]


def _decided_key(draft: Draft) -> tuple[object, ...]:
    return ("decided", draft.id)


async def decided_steps(draft: Draft) -> list[ReviewStep]:
    """Every decided step of every version of the draft, oldest version first, in level
    order (read once per event: the card's history and R-REV-3 both ask; whoever decides
    a step or adds a decided one calls step_decided)."""
    return await event_memo(_decided_key(draft), lambda: _DECIDED_STEPS_OF(draft.id))


async def step_at(draft: Draft, level: int, version: int) -> ReviewStep | None:
    """The draft's step of this level and version. Every step of the draft is read in the
    same query: its decided ones serve decided_steps for the rest of the event."""
    steps = await _STEPS_OF(draft.id)
    event_keep(_decided_key(draft), [s for s in steps if s.decision is not None])
    return next((s for s in steps if (s.level, s.version) == (level, version)), None)


_STEPS_OF: Fixed[list[ReviewStep]] = Fixed(  # every decision (fixed SQL, issue 19)
    lambda draft_id: ReviewStep.filter(draft_id=draft_id).order_by("version", "level"),
    lambda draft_id: [draft_id])
_DECIDED_STEPS_OF: Fixed[list[ReviewStep]] = Fixed(
    lambda draft_id: ReviewStep.filter(draft_id=draft_id, decision__isnull=False)
    .order_by("version", "level"),
    lambda draft_id: [draft_id])


def step_decided(draft: Draft, step: ReviewStep) -> None:
    """The step was decided (or added decided) in this event: decided_steps has it without
    reading again."""
    event_update(_decided_key(draft), lambda steps: sorted(
        [*steps, step], key=lambda s: (s.version, s.level)))


def no_steps_yet(draft: Draft) -> None:
    """The draft was made in this event: decided_steps need not ask."""
    event_keep(_decided_key(draft), [])


async def excluded_for(draft: Draft, level: int) -> set[str]:
    """R-REV-3: the author and whoever decided another level of this draft."""
    deciders = [s.assignee_id for s in await decided_steps(draft)
                if s.level > AUTHOR_LEVEL and s.level != level]
    return {draft.author_id, *deciders}


async def may_hold(org: OrgTree, unit_id: str, person: Person, roles: Sequence[str]) -> bool:
    """The person holds one of these roles for the unit (OrgTree.holders_for)."""
    for role in roles:
        if any(p.id == person.id for p in await org.holders_for(unit_id, role)):
            return True
    return False


async def _deputy(org: OrgTree, unit_id: str, roles: Sequence[str], absences: list[Absence],
                  excluded: set[str], roster: Roster) -> tuple[Person, str] | None:
    """The first named deputy who may hold the level (this role or one above), is not
    excluded by R-REV-3 and is not away too; with the absent person they stand in for."""
    for absence in absences:
        deputy_id = absence.deputy_id
        if not deputy_id or deputy_id in excluded or await roster.away([deputy_id]):
            continue
        deputy = await Person.get_or_none(id=deputy_id, active=True)
        if deputy is not None and await may_hold(org, unit_id, deputy, roles):
            return deputy, absence.person_id
    return None


async def assign(policy: Policy, draft: Draft, account: Account, level: int,
                 excluded: set[str], roster: Roster | None = None) -> Assignment:
    """Pick the reviewer for a level, climbing the ladder past excluded people; `roster`
    keeps who is away and the loads across the levels of one plan (plan_route)."""
    roster = roster or Roster()
    start = await normal_role(policy, draft, level)
    ladder = policy.review.escalation[policy.review.escalation.index(start):]
    org = event_org()
    reasons: list[str] = []
    for i, role in enumerate(ladder):
        found = await org.holders_for(account.unit_id, role)
        eligible = [p for p in found if p.id not in excluded]
        # issue 20: an absent holder is skipped, for their deputy if the deputy may hold the
        # level (R-REV-3), else for another holder, else up the ladder
        away = await roster.away(p.id for p in eligible)
        present = [p for p in eligible if p.id not in away]
        if away:
            deputy = await _deputy(org, account.unit_id, ladder[i:],
                                   [away[p.id] for p in eligible if p.id in away], excluded,
                                   roster)
            if deputy is not None:
                note = msg("review.escalated", reasons=reasons, to=role_label(role)) \
                    if reasons else ""
                return Assignment(deputy[0], role, note, deputy[1])
        if present:
            note = msg("review.escalated", reasons=reasons, to=role_label(role)) if reasons else ""
            return Assignment(await _least_loaded(present, roster), role, note)
        names = [p.name for p in found]
        key = "review.away_reason" if eligible else \
            "review.excluded_reason" if found else "review.missing_reason"
        reasons.append(msg(key, role=role_label(role), names=names))
    raise DomainError("review.nobody_eligible", level=level_label(level), reasons=reasons)
