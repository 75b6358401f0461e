"""Starting the review of a version and opening its steps (R-REV-1..3)."""

from __future__ import annotations

from bot.clock import utcnow
from bot.dispatcher import HandlerContext
from handlers.review.cards import review_card
from handlers.review.routing import AUTHOR_LEVEL, FINAL_LEVEL, FIRST_REVIEW_LEVEL, assign
from models.org import Person
from models.review import Decision, Draft, DraftState, ReviewStep


async def check_staffed(ctx: HandlerContext, draft: Draft, author: Person) -> None:
    """R-REV-3: both review levels can be staffed without the author; DomainError if not.
    Checked when a version comes in, so a draft is never stuck half-way."""
    account = await draft.account
    first = await assign(ctx.policy, draft, account, FIRST_REVIEW_LEVEL, {author.id})
    await assign(ctx.policy, draft, account, FINAL_LEVEL, {author.id, first.person.id})


async def start_review(ctx: HandlerContext, draft: Draft, author: Person) -> Person:
    """Record the author's 一审 and send the version to level 2 (R-REV-1); the reviewer."""
    await ReviewStep.create(draft=draft, version=draft.version, level=AUTHOR_LEVEL,
                            role="editor", assignee=author, decision=Decision.APPROVE,
                            decided_at=utcnow())
    draft.state = DraftState.REVIEWING
    await draft.save(update_fields=["state", "updated_at"])
    account = await draft.account
    first = await assign(ctx.policy, draft, account, FIRST_REVIEW_LEVEL, {author.id})
    # R-REV-3: check now that the final level can be staffed too, so a draft is never stuck
    await assign(ctx.policy, draft, account, FINAL_LEVEL, {author.id, first.person.id})
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
