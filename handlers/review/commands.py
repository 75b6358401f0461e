"""三审三校: submit, decide (card or text), revise, publish (R-REV-1..5)."""

from __future__ import annotations

from bot.clock import utcnow
from bot.datefmt import local_minute
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import CardUpdate, IncomingEvent
from bot.fixed import Fixed
from bot.parsing import is_web_url
from handlers.common import authz
from handlers.common.lookup import account_label, find_account, load_draft, numbered_ref
from handlers.precheck.review import approval_gate, split_confirmed
from handlers.relay.commands import close_by_draft
from handlers.review.cards import (
    APPROVE,
    REJECT,
    REJECT_WITH,
    common_reasons,
    decided_card,
    reason_card,
    reason_card_done,
    receipt_done,
)
from handlers.review.form import parse_draft_form
from handlers.review.intake import ask_for_draft, create_draft, revise_draft
from handlers.review.moves import take_as_deputy
from handlers.review.routing import (
    Assignment,
    assign,
    excluded_for,
    final_level,
    level_label,
    step_at,
    step_decided,
)
from handlers.review.steps import open_step
from models.org import Person, person_by_id
from models.review import Decision, Draft, DraftState, ReviewStep

router = Router("review")


@router.command("投稿")
async def on_submit(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`投稿 <账号名>` + title + body (or then a .docx): a new draft, sent to its second level."""
    author = ctx.require_person()
    assert ctx.command is not None
    if not ctx.command.args:
        raise DomainError("review.submit_usage")
    account = await find_account(ctx.command.args)
    await authz.check_account(ctx, "投稿", account)
    if not any(line.strip() for line in ctx.command.lines):
        await ask_for_draft(ctx, author, account=account)
        return
    await create_draft(ctx, author, account, parse_draft_form(ctx.command.lines))


@router.command("修改")
async def on_revise(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`修改 #N` + title + body (or then a .docx): a new version of a returned draft."""
    author = ctx.require_person()
    assert ctx.command is not None
    draft_id, rest = numbered_ref(ctx, "review.revise_usage", following_lines=False)
    if rest:
        raise DomainError("review.revise_usage")
    draft = await load_draft(draft_id, lock=True)
    await authz.check_draft(ctx, "修改", draft)
    if draft.state not in (DraftState.RETURNED, DraftState.WITHDRAWN):
        raise DomainError("review.not_returned", id=draft.id,
                          state=ctx.text(f"state.{draft.state}").text)
    if not any(line.strip() for line in ctx.command.lines):
        await ask_for_draft(ctx, author, draft=draft)
        return
    await revise_draft(ctx, author, draft, parse_draft_form(ctx.command.lines))


@router.command("通过")
async def on_approve_text(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`通过 #N [已核] [意见]`: the same as tapping 通过 on the card (已核: findings handled)."""
    draft_id, comment = numbered_ref(ctx, "review.approve_usage", as_written=True)
    confirmed, comment = split_confirmed(comment)
    draft = await load_draft(draft_id, lock=True)
    await _decide(ctx, "通过", draft, draft.level, draft.version, Decision.APPROVE, comment,
                  confirmed=confirmed)


@router.command("退回")
async def on_reject_text(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`退回 #N <理由>`: return the draft to its author with the reason."""
    draft_id, reason = numbered_ref(ctx, "review.reject_usage", as_written=True)
    if not reason:
        raise DomainError("review.reject_needs_reason", id=draft_id)
    draft = await load_draft(draft_id, lock=True)
    await _decide(ctx, "退回", draft, draft.level, draft.version, Decision.REJECT, reason)


def _card_args(ctx: HandlerContext) -> tuple[int, int, int]:
    try:
        draft_id, level, version = (int(a) for a in ctx.args)
    except ValueError:
        raise DomainError("review.stale_card") from None
    return draft_id, level, version


@router.action(APPROVE)
async def on_approve_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Tap on 通过: decide the step the card was sent for, if it is still open."""
    draft_id, level, version = _card_args(ctx)
    draft = await load_draft(draft_id, lock=True)
    await _decide(ctx, f"card:{APPROVE}", draft, level, version, Decision.APPROVE, "",
                  tapped=True)


@router.action(REJECT)
async def on_reject_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Tap on 退回: a return needs a reason. A card that carried one in (a platform with an
    input on the card) returns at once; otherwise the reason card asks for it: a common
    reason is a tap, another is typed as `退回 #N 理由`."""
    draft_id, level, version = _card_args(ctx)
    draft = await load_draft(draft_id, lock=True)
    reason = (event.payload.get("reason") or "").strip()
    if reason:
        await _decide(ctx, f"card:{REJECT}", draft, level, version, Decision.REJECT, reason,
                      tapped=True)
        return
    step = await _open_step_for(ctx, f"card:{REJECT}", draft, level, version)
    await ctx.reply(reason_card(draft, step, level_label(step.level)))


@router.action(REJECT_WITH)
async def on_reason_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """A common reason tapped on the reason card: the return, with that reason."""
    try:
        draft_id, level, version, index = (int(a) for a in ctx.args)
        reason = common_reasons()[index]
    except (ValueError, IndexError):
        raise DomainError("review.stale_card") from None
    draft = await load_draft(draft_id, lock=True)
    await _decide(ctx, f"card:{REJECT_WITH}", draft, level, version, Decision.REJECT, reason,
                  tapped=True)


async def _open_step_for(ctx: HandlerContext, action: str, draft: Draft, level: int,
                         version: int) -> ReviewStep:
    """The step this person may decide now, or a DomainError saying why not (card honesty)."""
    person = ctx.require_person()
    step = await step_at(draft, level, version)
    if step is None:
        raise DomainError("review.stale_card")
    # rule R-REV-3: the table grants the step's assignee, never the draft's author; an absent
    # holder's deputy takes the step by acting on it (请假, issue 20)
    current = draft.state == DraftState.REVIEWING and (draft.level, draft.version) == (
        level, version)
    if step.assignee_id != person.id and current:
        await take_as_deputy(ctx, draft, step, person)
    ties = {"assignee"} if step.assignee_id == person.id else set()
    if draft.author_id == person.id:
        ties.add("author")
    await authz.check_draft(ctx, action, draft, ties=ties)
    at_step = (draft.level, draft.version) == (level, version)
    current = draft.state == DraftState.REVIEWING and at_step
    if step.decision is not None or not current:
        raise DomainError("review.stale_card")
    return step


async def _decide(ctx: HandlerContext, action: str, draft: Draft, level: int, version: int,
                  decision: Decision, comment: str, *, tapped: bool = False,
                  confirmed: bool = False) -> None:
    if draft.state != DraftState.REVIEWING and not tapped:
        raise DomainError("review.not_pending", id=draft.id,
                          state=ctx.text(f"state.{draft.state}").text)
    step = await _open_step_for(ctx, action, draft, level, version)
    confirms: dict[str, object] = {}
    if decision == Decision.APPROVE:
        # R-REV-6: the approval records the checklist and the 机审 errors it confirms
        gate = await approval_gate(ctx, draft, step, confirmed=confirmed)
        if gate is None:
            return  # asked to confirm the error findings first; nothing decided
        confirms = gate
    # the conditional update is the gate: of two racing decisions exactly one matches
    decided_at = utcnow()
    won = await _DECIDE(step.id, decision, comment, decided_at)
    if won != 1:
        raise DomainError("review.stale_card")
    step.decision, step.comment, step.decided_at = decision, comment, decided_at
    step_decided(draft, step)
    _observe_step(ctx, step)
    await ctx.audit(f"review.{decision}", f"draft:{draft.id}", version=version, level=level,
                    comment=comment, **confirms)
    # the next level's reviewer is chosen first: the unit's people it reads name the
    # author and the deciders on the decided card too (one read of people, not two)
    advance = decision == Decision.APPROVE and level < final_level(ctx.policy)
    chosen = await _next_reviewer(ctx, draft, level + 1) if advance else None
    await ctx.notify(step.assignee_id,
                     CardUpdate(await decided_card(ctx.policy, ctx.settings, draft, step)))
    if decision == Decision.REJECT:
        # a reason card this reviewer may hold goes grey too (nothing to update if none)
        await ctx.notify(step.assignee_id,
                         CardUpdate(reason_card_done(draft, step)))
        await _returned(ctx, draft, step)
    elif chosen is not None:
        await open_step(ctx, draft, level + 1, chosen.person, chosen.role, chosen.note,
                        on_behalf_of=chosen.on_behalf_of)
    else:
        await _approved(ctx, draft)
    if not tapped:
        await ctx.reply(ctx.text(f"review.decided_{decision}", id=draft.id,
                                 level=level_label(level)))


def _observe_step(ctx: HandlerContext, step: ReviewStep) -> None:
    """Count how long the step waited, once the decision has committed."""
    assert step.decided_at is not None and step.decision is not None
    seconds = (step.decided_at - step.created_at).total_seconds()
    histogram = ctx.metrics.review_step_seconds.labels(level=str(step.level),
                                                       decision=str(step.decision))
    ctx.after_commit(lambda: histogram.observe(seconds))


async def _returned(ctx: HandlerContext, draft: Draft, step: ReviewStep) -> None:
    draft.state = DraftState.RETURNED
    await draft.save(update_fields=["state", "updated_at"])
    reviewer = await person_by_id(step.assignee_id)
    assert reviewer is not None  # a foreign key
    await _close_receipt(ctx, draft, ctx.text("review.receipt_returned", name=reviewer.name,
                                              at=local_minute(utcnow(), ctx.settings.tz)).text)
    await ctx.say(draft.author_id,
                  ctx.text("review.returned_to_author", id=draft.id, title=draft.title,
                           level=level_label(step.level), reviewer=reviewer.name,
                           reason=step.comment))


async def _close_receipt(ctx: HandlerContext, draft: Draft, status: str) -> None:
    """The version left review: its receipt's 催办 / 撤回 go grey (issue 20)."""
    await ctx.notify(draft.author_id, CardUpdate(receipt_done(draft, status)))


async def _next_reviewer(ctx: HandlerContext, draft: Draft, level: int) -> Assignment:
    """Who reviews the level next (R-REV-3: not the author, nobody twice)."""
    account = await draft.account
    return await assign(ctx.policy, draft, account, level, await excluded_for(draft, level))


# the gate of every decision, and the admins told at the end (fixed SQL, issue 19)
_DECIDE: Fixed[int] = Fixed(
    lambda step_id, decision, comment, at: ReviewStep.filter(
        id=step_id, decision__isnull=True).update(decision=decision, comment=comment,
                                                  decided_at=at),
    lambda step_id, decision, comment, at: [str(decision), comment, at, step_id])
_ADMINS: Fixed[list[str]] = Fixed(
    lambda account_id: Person.filter(admin_of__id=account_id).values_list("id", flat=True),
    lambda account_id: [account_id])


async def _approved(ctx: HandlerContext, draft: Draft) -> None:
    """Final approval: the author and the account's admins may publish now."""
    draft.state = DraftState.APPROVED
    await draft.save(update_fields=["state", "updated_at"])
    await ctx.audit("draft.approved", f"draft:{draft.id}", version=draft.version)
    await _close_receipt(ctx, draft, ctx.text("review.receipt_approved",
                                              at=local_minute(utcnow(), ctx.settings.tz)).text)
    account = await draft.account
    admins = await _ADMINS(account.id)
    text = ctx.text("review.approved_publishable", id=draft.id, title=draft.title,
                    account=account_label(account))
    for person_id in dict.fromkeys([draft.author_id, *admins]):
        await ctx.say(person_id, text)


@router.command("已发布")
async def on_published(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已发布 #N <URL>`: record publication and the account's last update time."""
    person = ctx.require_person()
    draft_id, url = numbered_ref(ctx, "review.published_usage")
    if not is_web_url(url):
        raise DomainError("review.published_usage")
    draft = await load_draft(draft_id, lock=True)
    account = await draft.account
    await authz.check_draft(ctx, "已发布", draft, account)
    if draft.state != DraftState.APPROVED:
        raise DomainError("review.not_approved", id=draft.id,
                          state=ctx.text(f"state.{draft.state}").text)
    now = utcnow()
    draft.state, draft.published_url, draft.published_at = DraftState.PUBLISHED, url, now
    await draft.save(update_fields=["state", "published_url", "published_at", "updated_at"])
    account.last_update_at = now
    await account.save(update_fields=["last_update_at"])
    await ctx.audit("draft.published", f"draft:{draft.id}", url=url, account=account.id)
    await ctx.reply(ctx.text("review.published", id=draft.id, account=account_label(account)))
    if draft.relay_task_id:
        await close_by_draft(ctx, draft.relay_task_id, account.unit_id,
                             draft.id, url)
