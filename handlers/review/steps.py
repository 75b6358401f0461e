"""Starting the review of a version and opening its steps (R-REV-1..3)."""

from __future__ import annotations

from bot.clock import utcnow
from bot.dispatcher import HandlerContext
from bot.rendering import msg
from handlers.review.cards import review_card
from handlers.review.routing import (
    Assignment,
    Roster,
    assign,
    final_level,
    final_route,
    level_label,
    normal_role,
    role_label,
    step_decided,
)
from models.org import Person, event_forget, event_memo, event_org
from models.review import (
    AUTHOR_LEVEL,
    AUTHOR_ROLE,
    FIRST_REVIEW_LEVEL,
    Decision,
    Draft,
    DraftState,
    ReviewStep,
)


async def plan_route(ctx: HandlerContext, draft: Draft, author: Person) -> list[Assignment]:
    """R-REV-3: every review level staffed without the author and without anyone twice
    (DomainError if a level cannot be), so a draft is never stuck half-way; the final level
    per its route (R-REV-2, R-REV-4, R-REV-7). The first is who reviews now; later levels
    are whoever would be asked today."""
    account = await draft.account
    excluded = {author.id}
    levels = range(FIRST_REVIEW_LEVEL, final_level(ctx.policy) + 1)
    # who of the levels' holders is away and their loads: one query each for all of them,
    # and once per event for the version (check_staffed, then start_review)
    org, roster = event_org(), await event_memo(_roster_key(draft), _roster)
    roles = {await normal_role(ctx.policy, draft, level) for level in levels}
    by_role = [[p for p in await org.holders_for(account.unit_id, role) if p.id not in excluded]
               for role in sorted(roles)]
    await roster.away(p.id for people in by_role for p in people)
    # loads only choose between holders of one role: none to read for a role held by one
    await roster.loads(p.id for people in by_role if len(people) > 1 for p in people)
    plan: list[Assignment] = []
    for level in levels:
        chosen = await assign(ctx.policy, draft, account, level, set(excluded), roster)
        excluded.add(chosen.person.id)
        plan.append(chosen)
    return plan


def _roster_key(draft: Draft) -> tuple[object, ...]:
    return ("roster", draft.id, draft.version)


async def _roster() -> Roster:
    return Roster()


async def check_staffed(ctx: HandlerContext, draft: Draft, author: Person) -> Person:
    """R-REV-3: every level can be staffed (DomainError if not); the first reviewer."""
    return (await plan_route(ctx, draft, author))[0].person


async def start_review(ctx: HandlerContext, draft: Draft, author: Person) -> list[Assignment]:
    """Record the author's 一审 and send the version to level 2 (R-REV-1); the route."""
    plan = await plan_route(ctx, draft, author)
    first = plan[0]
    own = ReviewStep(draft=draft, version=draft.version, level=AUTHOR_LEVEL, role=AUTHOR_ROLE,
                     assignee=author, decision=Decision.APPROVE, decided_at=utcnow())
    step = _new_step(draft, FIRST_REVIEW_LEVEL, first.person, first.role, first.note,
                     first.on_behalf_of)
    # both steps in one insert, the draft's state and level in one update (nothing reads
    # them before the event's end but this event)
    await ReviewStep.bulk_create([own, step])
    step_decided(draft, own)
    draft.state, draft.level = DraftState.REVIEWING, FIRST_REVIEW_LEVEL
    await draft.save(update_fields=["state", "level", "updated_at"])
    await _opened(ctx, draft, step, first.person)
    return plan


async def route_text(ctx: HandlerContext, draft: Draft, author: Person,
                     plan: list[Assignment]) -> str:
    """The receipt's route: who reviews each level, and why the final level is whose."""
    steps = [msg("route.step", level=level_label(AUTHOR_LEVEL), name=author.name,
                 role=role_label(AUTHOR_ROLE), note="")]
    steps += [msg("route.step", level=level_label(level), name=a.person.name,
                  role=role_label(a.role), note=a.note)
              for level, a in enumerate(plan, FIRST_REVIEW_LEVEL)]
    route = await final_route(ctx.policy, draft)
    why = msg("route.final_why", level=level_label(final_level(ctx.policy)),
              role=role_label(route.role), reasons=route.reasons) if route.reasons else ""
    return msg("route.receipt", steps=steps, why=why)


def _new_step(draft: Draft, level: int, person: Person, role: str, note: str,
              on_behalf_of: str | None) -> ReviewStep:
    return ReviewStep(draft=draft, version=draft.version, level=level, role=role,
                      assignee=person, escalation_note=note, on_behalf_of=on_behalf_of)


async def open_step(ctx: HandlerContext, draft: Draft, level: int, person: Person, role: str,
                    note: str, *, on_behalf_of: str | None = None) -> None:
    step = _new_step(draft, level, person, role, note, on_behalf_of)
    await step.save()
    draft.level = level
    await draft.save(update_fields=["level", "updated_at"])
    await _opened(ctx, draft, step, person)


async def _opened(ctx: HandlerContext, draft: Draft, step: ReviewStep, person: Person) -> None:
    """The step is written: its holder's card and the record."""
    event_forget(_roster_key(draft))  # the person's load has changed
    await ctx.notify(person.id, await review_card(ctx.policy, ctx.settings, draft, step))
    level = step.level
    # R-REV-2/4/7, R-REV-5: why the final level is whose it is stays on the record
    route = await final_route(ctx.policy, draft) if level == final_level(ctx.policy) else None
    why = {"route": list(route.reasons)} if route and route.reasons else {}
    await ctx.audit("review.assigned", f"draft:{draft.id}", version=draft.version, level=level,
                    assignee=person.id, role=step.role, note=step.escalation_note,
                    on_behalf_of=step.on_behalf_of, **why)
