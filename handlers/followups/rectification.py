"""整改 (rule R-FIX-1): problems found in inspection are fixed within 1–5 days.

`整改 <账号名> <问题> [天数]` (a supervisor above, or the unit's chief) opens one; the
account's admins get it with its deadline. `已整改 <编号> <说明或网址>` says it is fixed;
the opener then `确认整改 <编号>` or `退回整改 <编号> <理由>` (reopened, chased again).
Done on time means the fix the opener accepted was made by the deadline.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from handlers.common.lookup import account_label, find_account
from handlers.followups.access import allow
from handlers.followups.common import (
    account_doers,
    clock,
    dated_ladder,
    due_end,
    is_admin,
    label_of,
    numbered,
    short,
    tell,
    today,
)
from handlers.reminders.kinds import Due, local_text, reached
from models.followups import FixState, Rectification
from models.org import Person

router = Router("rectification")
_DAYS = re.compile(r"^(\d{1,3})\s*(?:天|日|个工作日)?$")


def _split(args: str, lines: tuple[str, ...]) -> tuple[str, str, int | None]:
    """'<账号> <问题…> [天数]' and following lines → (account, problem, days or None)."""
    name, _, rest = args.partition(" ")
    words = rest.split(" ")
    days = None
    if len(words) > 1 and (match := _DAYS.match(words[-1])):
        days, words = int(match[1]), words[:-1]
    problem = "\n".join([" ".join(words), *lines]).strip()
    return name, problem, days


def _days(policy: Policy, days: int | None) -> int:
    fix = policy.rectification  # rule R-FIX-1
    if days is None:
        return fix.default_days
    if not fix.min_days <= days <= fix.max_days:
        raise DomainError("fix.bad_days", days=days, min=fix.min_days, max=fix.max_days)
    return days


@router.command("整改")
async def on_open(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`整改 <账号名> <问题> [天数]`: open a rectification of an account (rule R-FIX-1)."""
    assert ctx.command is not None
    name, problem, days = _split(ctx.command.args, ctx.command.lines)
    if not name or not problem:
        raise DomainError("fix.usage", min=ctx.policy.rectification.min_days,
                          max=ctx.policy.rectification.max_days)
    account = await find_account(name)
    unit_id = account.unit_id
    person = await allow(ctx, "整改", unit_id, account=account_label(account))
    days = _days(ctx.policy, days)
    hours, now = clock(ctx), event.received_at
    due = due_end(today(now, hours) + timedelta(days=days), hours)
    fix = await Rectification.create(account=account, unit_id=unit_id, problem=problem,
                                     opened_by=person, opened_at=now, days=days, due_at=due)
    await ctx.audit("fix.opened", f"fix:{fix.id}", account=account.id, problem=problem,
                    days=days, due_at=due.isoformat())
    label, due_text = account_label(account), local_text(due, hours)
    doers = await account_doers(ctx.policy, account)
    await tell(ctx, doers, ctx.text("fix.assigned", id=fix.id, account=label, by=person.name,
                                    problem=problem, due=due_text, days=days))
    await ctx.reply(ctx.text("fix.opened", id=fix.id, account=label, due=due_text, days=days,
                             doers=[p.name for p in doers]))


async def _load(number: int) -> Rectification:
    fix = await Rectification.select_for_update().get_or_none(id=number)
    if fix is None:
        raise DomainError("fix.unknown", id=number)
    await fix.fetch_related("account", "opened_by")
    return fix


@router.command("已整改")
async def on_fixed(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已整改 <编号> <说明或网址>`: the problem is fixed; the opener confirms (rule R-FIX-1)."""
    number, note = numbered(ctx, "fix.done_usage")
    fix = await _load(number)
    person = ctx.require_person()
    relations = {"admin"} if await is_admin(person, fix.account) else set()
    await allow(ctx, "已整改", fix.unit_id, relations=relations, id=fix.id)
    if not note:
        raise DomainError("fix.done_usage")
    if fix.state != FixState.OPEN:
        raise DomainError(f"fix.already_{fix.state}", id=fix.id)
    hours = clock(ctx)
    fix.state, fix.note = FixState.SUBMITTED, note
    fix.submitted_at, fix.submitted_by = event.received_at, person.id
    await fix.save(update_fields=["state", "note", "submitted_at", "submitted_by"])
    await ctx.audit("fix.submitted", f"fix:{fix.id}", note=note)
    late = event.received_at > fix.due_at
    label = account_label(fix.account)
    await tell(ctx, [fix.opened_by], ctx.text("fix.please_confirm", id=fix.id, account=label,
                                              by=person.name, note=note, late=late,
                                              problem=fix.problem))
    await ctx.reply(ctx.text("fix.submitted", id=fix.id, account=label, opener=fix.opened_by.name,
                             late=late, due=local_text(fix.due_at, hours)))


async def _decide(ctx: HandlerContext, row: str, usage: str) -> tuple[Rectification, str]:
    number, text = numbered(ctx, usage)
    fix = await _load(number)
    person = ctx.require_person()
    relations = {"opener"} if fix.opened_by.id == person.id else set()
    await allow(ctx, row, fix.unit_id, relations=relations, id=fix.id,
                opener=fix.opened_by.name)
    if fix.state != FixState.SUBMITTED:
        raise DomainError(f"fix.not_submitted_{fix.state}", id=fix.id)
    return fix, text


@router.command("确认整改")
async def on_confirm(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`确认整改 <编号>`: the opener accepts the fix (rule R-FIX-1)."""
    fix, _ = await _decide(ctx, "确认整改", "fix.confirm_usage")
    assert fix.submitted_at is not None
    fix.state, fix.done_at, fix.confirmed_at = FixState.DONE, fix.submitted_at, event.received_at
    await fix.save(update_fields=["state", "done_at", "confirmed_at"])
    late = fix.done_at > fix.due_at
    await ctx.audit("fix.confirmed", f"fix:{fix.id}", late=late)
    label = account_label(fix.account)
    submitter = await Person.get_or_none(id=fix.submitted_by or "")
    notice = ctx.text("fix.confirmed_notice", id=fix.id, account=label, late=late,
                      by=ctx.require_person().name)
    await tell(ctx, [submitter] if submitter else [], notice)
    await ctx.reply(ctx.text("fix.confirmed", id=fix.id, account=label, late=late))


@router.command("退回整改")
async def on_reopen(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`退回整改 <编号> <理由>`: not fixed; the unit works on it again (rule R-FIX-1)."""
    fix, reason = await _decide(ctx, "退回整改", "fix.reopen_usage")
    if not reason:
        raise DomainError("fix.reopen_usage")
    fix.state, fix.reason, fix.round = FixState.OPEN, reason, fix.round + 1
    await fix.save(update_fields=["state", "reason", "round"])
    await ctx.audit("fix.reopened", f"fix:{fix.id}", reason=reason, round=fix.round)
    hours, label = clock(ctx), account_label(fix.account)
    overdue = event.received_at > fix.due_at
    doers = await account_doers(ctx.policy, fix.account)
    submitter = await Person.get_or_none(id=fix.submitted_by or "")
    await tell(ctx, [*([submitter] if submitter else []), *doers], ctx.text(
        "fix.reopened_notice", id=fix.id, account=label, reason=reason, overdue=overdue,
        due=local_text(fix.due_at, hours), by=ctx.require_person().name))
    await ctx.reply(ctx.text("fix.reopened", id=fix.id, account=label))


# --- the reminder kind: open rectifications near or past their deadline ---

async def fix_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """rule R-FIX-1: open ones (reopened ones again, per round), on the dated ladder."""
    ahead = timedelta(days=policy.reminders.deadline_before_days + 1)
    rows = await Rectification.filter(state=FixState.OPEN, due_at__lte=now + ahead).values_list(
        "id", "unit_id", "account_id", "opened_by_id", "opened_at", "submitted_at", "due_at",
        "round", "problem", "account__name", "account__platform")
    items = []
    for (fix_id, unit_id, account_id, opener, opened, submitted, due_at, rnd, problem,
         name, platform) in rows:
        since = submitted if rnd > 1 and submitted else opened
        rung = reached(dated_ladder(policy, due_at, since, hours), now)
        if rung is None:
            continue
        items.append(Due("fix", f"fix:{fix_id}#{rnd}", rung.stage, rung.audience, unit_id,
                         account_id=account_id, extra=(opener,), ctx={
                             "id": fix_id, "account": label_of(name, platform),
                             "problem": short(problem), "due": local_text(due_at, hours)}))
    return items
