"""Starting the review of a version and opening its steps (R-REV-1..3)."""

from __future__ import annotations

from bot.clock import utcnow
from bot.dispatcher import HandlerContext
from handlers.review.cards import review_card
from handlers.review.routing import assign, final_level
from models.org import Person
from models.review import (
    AUTHOR_LEVEL,
    AUTHOR_ROLE,
    FIRST_REVIEW_LEVEL,
    Decision,
    Draft,
    DraftState,
    ReviewStep,
)


async def check_staffed(ctx: HandlerContext, draft: Draft, author: Person) -> Person:
    """R-REV-3: every review level can be staffed without the author (DomainError if not),
    so a draft is never stuck half-way; the first reviewer."""
    account = await draft.account
    first = await assign(ctx.policy, draft, account, FIRST_REVIEW_LEVEL, {author.id})
    final = final_level(ctx.policy)
    if final > FIRST_REVIEW_LEVEL:
        await assign(ctx.policy, draft, account, final, {author.id, first.person.id})
    return first.person


async def start_review(ctx: HandlerContext, draft: Draft, author: Person) -> Person:
    """Record the author's 一审 and send the version to level 2 (R-REV-1); the reviewer."""
    await ReviewStep.create(draft=draft, version=draft.version, level=AUTHOR_LEVEL,
                            role=AUTHOR_ROLE, assignee=author, decision=Decision.APPROVE,
                            decided_at=utcnow())
    draft.state = DraftState.REVIEWING
    await draft.save(update_fields=["state", "updated_at"])
    await check_staffed(ctx, draft, author)
    account = await draft.account
    first = await assign(ctx.policy, draft, account, FIRST_REVIEW_LEVEL, {author.id})
    await open_step(ctx, draft, FIRST_REVIEW_LEVEL, first.person, first.role, first.note)
    return first.person


async def open_step(ctx: HandlerContext, draft: Draft, level: int, person: Person, role: str,
                    note: str) -> None:
    step = await ReviewStep.create(draft=draft, version=draft.version, level=level, role=role,
                                   assignee=person, escalation_note=note)
    draft.level = level
    await draft.save(update_fields=["level", "updated_at"])
    await ctx.notify(person.id, await review_card(ctx.policy, ctx.settings, draft, step))
    await ctx.audit("review.assigned", f"draft:{draft.id}", version=draft.version, level=level,
                    assignee=person.id, role=role, note=note)
