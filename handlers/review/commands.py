"""三审三校: submit, decide (card or text), revise, publish (R-REV-1..5)."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.clock import utcnow
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import CardUpdate, IncomingEvent
from handlers.common.lookup import account_label, find_account, load_draft, numbered_ref
from handlers.precheck.review import approval_gate, run_precheck, split_confirmed
from handlers.relay.commands import close_by_draft, task_for_draft
from handlers.review.cards import APPROVE, REJECT, decided_card, review_card
from handlers.review.form import DraftForm, parse_draft_form
from handlers.review.routing import (
    AUTHOR_LEVEL,
    FINAL_LEVEL,
    FIRST_REVIEW_LEVEL,
    assign,
    excluded_for,
    level_label,
)
from models.org import Account, Person
from models.review import Decision, Draft, DraftState, DraftVersion, ReviewStep

router = Router("review")


async def _may_write_for(person: Person, account: Account) -> bool:
    if person.has_role("editor") and person.unit_id == account.unit_id:  # type: ignore[attr-defined]
        return True
    return await account.admins.filter(id=person.id).exists()


async def _start_version(ctx: HandlerContext, draft: Draft, author: Person) -> Person:
    """Record the author's 一审 and send the draft to level 2 (R-REV-1)."""
    now = utcnow()
    await DraftVersion.create(draft=draft, version=draft.version, title=draft.title,
                              body=draft.body)
    await run_precheck(ctx, draft)
    await ReviewStep.create(draft=draft, version=draft.version, level=AUTHOR_LEVEL,
                            role="editor", assignee=author, decision=Decision.APPROVE,
                            decided_at=now)
    account = await draft.account
    first = await assign(ctx.policy, draft, account, FIRST_REVIEW_LEVEL, {author.id})
    # R-REV-3: check now that the final level can be staffed too, so a draft is never stuck
    await assign(ctx.policy, draft, account, FINAL_LEVEL, {author.id, first.person.id})
    await _open_step(ctx, draft, FIRST_REVIEW_LEVEL, first.person, first.role, first.note)
    return first.person


async def _open_step(ctx: HandlerContext, draft: Draft, level: int, person: Person, role: str,
                     note: str) -> None:
    step = await ReviewStep.create(draft=draft, version=draft.version, level=level, role=role,
                                   assignee=person, escalation_note=note)
    draft.level = level
    await draft.save(update_fields=["level", "updated_at"])
    await ctx.notify(person.id, await review_card(ctx.policy, ctx.settings.tz, draft, step))
    await ctx.audit("review.assigned", f"draft:{draft.id}", version=draft.version, level=level,
                    assignee=person.id, role=role, note=note)


@router.command("投稿")
async def on_submit(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`投稿 <账号名>` + title + body: a new draft, sent to its second level."""
    author = ctx.require_person()
    assert ctx.command is not None
    if not ctx.command.args:
        raise DomainError("review.submit_usage")
    account = await find_account(ctx.command.args)
    if not await _may_write_for(author, account):
        raise DomainError("review.not_editor", account=account_label(account))
    form = parse_draft_form(ctx.command.lines)
    task = await task_for_draft(form.relay_task, account) if form.relay_task else None
    draft = await Draft.create(account=account, author=author, title=form.title, body=form.body,
                               repost_url=form.repost_url or (task and task.source_url),
                               important=bool(form.important), relay_task=task)
    await ctx.audit("draft.submitted", f"draft:{draft.id}", account=account.id,
                    title=draft.title, version=1, repost_url=draft.repost_url,
                    important=draft.important, relay_task=draft.relay_task_id)
    reviewer = await _start_version(ctx, draft, author)
    await ctx.reply(ctx.text("review.submitted", id=draft.id, title=draft.title,
                             account=account_label(account), reviewer=reviewer.name))


@router.command("修改")
async def on_revise(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`修改 #N` + title + body: a new version of a returned draft, reviewed again."""
    author = ctx.require_person()
    assert ctx.command is not None
    draft_id, rest = numbered_ref(ctx, "review.revise_usage", following_lines=False)
    if rest:
        raise DomainError("review.revise_usage")
    draft = await load_draft(draft_id, lock=True)
    if draft.author_id != author.id:  # type: ignore[attr-defined]
        raise DomainError("review.not_author", id=draft.id)
    if draft.state != DraftState.RETURNED:
        raise DomainError("review.not_returned", id=draft.id,
                          state=ctx.text(f"state.{draft.state}").text)
    form = parse_draft_form(ctx.command.lines)
    if form.relay_task:
        task = await task_for_draft(form.relay_task, await draft.account)
        draft.relay_task = task
        # as on 投稿: the task's source is the repost source unless 转载： names another
        # (rule R-REV-4 routes the final level by it)
        if form.repost_url is None:
            draft.repost_url = task.source_url
    _apply_form(draft, form)
    await draft.save()
    await ctx.audit("draft.revised", f"draft:{draft.id}", version=draft.version,
                    title=draft.title, repost_url=draft.repost_url, important=draft.important,
                    relay_task=draft.relay_task_id)
    reviewer = await _start_version(ctx, draft, author)
    await ctx.reply(ctx.text("review.resubmitted", id=draft.id, version=draft.version,
                             reviewer=reviewer.name))


def _apply_form(draft: Draft, form: DraftForm) -> None:
    draft.title, draft.body = form.title, form.body
    if form.repost_url is not None:
        draft.repost_url = form.repost_url
    if form.important is not None:
        draft.important = form.important
    draft.version += 1
    draft.state = DraftState.REVIEWING
    draft.level = FIRST_REVIEW_LEVEL


@router.command("通过")
async def on_approve_text(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`通过 #N [已核] [意见]`: the same as tapping 通过 on the card (已核: findings handled)."""
    draft_id, comment = numbered_ref(ctx, "review.approve_usage", as_written=True)
    confirmed, comment = split_confirmed(comment)
    draft = await load_draft(draft_id, lock=True)
    await _decide(ctx, draft, draft.level, draft.version, Decision.APPROVE, comment,
                  confirmed=confirmed)


@router.command("退回")
async def on_reject_text(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`退回 #N <理由>`: return the draft to its author with the reason."""
    draft_id, reason = numbered_ref(ctx, "review.reject_usage", as_written=True)
    if not reason:
        raise DomainError("review.reject_needs_reason", id=draft_id)
    draft = await load_draft(draft_id, lock=True)
    await _decide(ctx, draft, draft.level, draft.version, Decision.REJECT, reason)


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
    await _decide(ctx, draft, level, version, Decision.APPROVE, "", tapped=True)


@router.action(REJECT)
async def on_reject_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Tap on 退回: a return needs a reason, so ask for it as `退回 #N 理由`."""
    draft_id, level, version = _card_args(ctx)
    draft = await load_draft(draft_id, lock=True)
    step = await _open_step_for(ctx, draft, level, version)
    await ctx.reply(ctx.text("review.reject_ask_reason", id=draft.id,
                             level=level_label(step.level)))


async def _open_step_for(ctx: HandlerContext, draft: Draft, level: int,
                         version: int) -> ReviewStep:
    """The step this person may decide now, or a DomainError saying why not (card honesty)."""
    person = ctx.require_person()
    step = await ReviewStep.get_or_none(draft_id=draft.id, level=level, version=version)
    if step is None:
        raise DomainError("review.stale_card")
    if step.assignee_id != person.id:  # type: ignore[attr-defined]
        raise DomainError("review.not_assignee", id=draft.id)
    at_step = (draft.level, draft.version) == (level, version)
    current = draft.state == DraftState.REVIEWING and at_step
    if step.decision is not None or not current:
        raise DomainError("review.stale_card")
    return step


async def _decide(ctx: HandlerContext, draft: Draft, level: int, version: int,
                  decision: Decision, comment: str, *, tapped: bool = False,
                  confirmed: bool = False) -> None:
    if draft.state != DraftState.REVIEWING and not tapped:
        raise DomainError("review.not_pending", id=draft.id,
                          state=ctx.text(f"state.{draft.state}").text)
    step = await _open_step_for(ctx, draft, level, version)
    confirms: dict[str, object] = {}
    if decision == Decision.APPROVE:
        # R-REV-6: the approval records the checklist and the 机审 errors it confirms
        gate = await approval_gate(ctx, draft, step, confirmed=confirmed)
        if gate is None:
            return  # asked to confirm the error findings first; nothing decided
        confirms = gate
    # the conditional update is the gate: of two racing decisions exactly one matches
    won = await ReviewStep.filter(id=step.id, decision__isnull=True).update(
        decision=decision, comment=comment, decided_at=utcnow())
    if won != 1:
        raise DomainError("review.stale_card")
    await step.refresh_from_db()
    _observe_step(ctx, step)
    await ctx.audit(f"review.{decision}", f"draft:{draft.id}", version=version, level=level,
                    comment=comment, **confirms)
    await ctx.notify(step.assignee_id,  # type: ignore[attr-defined]
                     CardUpdate(await decided_card(ctx.policy, ctx.settings.tz, draft, step)))
    if decision == Decision.REJECT:
        await _returned(ctx, draft, step)
    elif level < FINAL_LEVEL:
        await _advance(ctx, draft, level + 1)
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
    reviewer: Person = await step.assignee
    await ctx.say(draft.author_id,  # type: ignore[attr-defined]
                  ctx.text("review.returned_to_author", id=draft.id, title=draft.title,
                           level=level_label(step.level), reviewer=reviewer.name,
                           reason=step.comment))


async def _advance(ctx: HandlerContext, draft: Draft, level: int) -> None:
    account = await draft.account
    chosen = await assign(ctx.policy, draft, account, level, await excluded_for(draft, level))
    await _open_step(ctx, draft, level, chosen.person, chosen.role, chosen.note)


async def _approved(ctx: HandlerContext, draft: Draft) -> None:
    """Final approval: the author and the account's admins may publish now."""
    draft.state = DraftState.APPROVED
    await draft.save(update_fields=["state", "updated_at"])
    await ctx.audit("draft.approved", f"draft:{draft.id}", version=draft.version)
    account = await draft.account
    admins = await account.admins.all().values_list("id", flat=True)
    text = ctx.text("review.approved_publishable", id=draft.id, title=draft.title,
                    account=account_label(account))
    for person_id in dict.fromkeys([draft.author_id, *admins]):  # type: ignore[attr-defined]
        await ctx.say(person_id, text)


@router.command("已发布")
async def on_published(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已发布 #N <URL>`: record publication and the account's last update time."""
    person = ctx.require_person()
    draft_id, url = numbered_ref(ctx, "review.published_usage")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise DomainError("review.published_usage")
    draft = await load_draft(draft_id, lock=True)
    account = await draft.account
    is_admin = await account.admins.filter(id=person.id).exists()
    if person.id != draft.author_id and not is_admin:  # type: ignore[attr-defined]
        raise DomainError("review.not_publisher", id=draft.id)
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
    if draft.relay_task_id:  # type: ignore[attr-defined]
        await close_by_draft(ctx, draft.relay_task_id, account.unit_id,  # type: ignore[attr-defined]
                             draft.id, url)
