"""Public messages (rule R-MSG-1): acknowledge within 1 workday, answer within 5.

`留言 <账号名> <摘要>` registers a public message or comment that needs an answer (the
clock starts on the day it is registered); `已受理 <编号>` records the acknowledgement and
`已答复 <编号> [网址]` the answer (which acknowledges too). Overdue ones climb the ladder.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent
from bot.parsing import is_web_url
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.workdays import add_workdays
from handlers.common.lookup import account_label, find_account, name_and_text
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
from models.followups import PublicMessage

router = Router("public_messages")


@router.command("留言")
async def on_message(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`留言 <账号名> <摘要>`: a public message to acknowledge and answer (rule R-MSG-1)."""
    name, summary = name_and_text(ctx, "message.usage")
    account = await find_account(name)
    person = ctx.require_person()
    unit_id = account.unit_id
    relations = {"admin"} if await is_admin(person, account) else set()
    await allow(ctx, "留言", unit_id, relations=relations, account=account_label(account))
    rule, hours, now = ctx.policy.public_messages, clock(ctx), event.received_at
    day = today(now, hours)
    row = await PublicMessage.create(
        account=account, unit_id=unit_id, summary=summary, registered_by=person,
        received_at=now, ack_due_at=due_end(add_workdays(day, rule.ack_workdays), hours),
        answer_due_at=due_end(add_workdays(day, rule.answer_workdays), hours))
    await ctx.audit("message.registered", f"message:{row.id}", account=account.id,
                    summary=summary)
    facts = {"id": row.id, "account": account_label(account), "summary": summary,
             "ack": local_text(row.ack_due_at, hours), "answer": local_text(row.answer_due_at,
                                                                            hours),
             "ack_days": rule.ack_workdays, "answer_days": rule.answer_workdays}
    doers = await account_doers(ctx.policy, account)
    await tell(ctx, doers, ctx.text("message.assigned", by=person.name, **facts))
    await ctx.reply(ctx.text("message.registered", doers=[p.name for p in doers], **facts))


async def _load(ctx: HandlerContext, row_name: str, usage: str) -> tuple[PublicMessage, str]:
    number, rest = numbered(ctx, usage)
    row = await PublicMessage.select_for_update().get_or_none(id=number)
    if row is None:
        raise DomainError("message.unknown", id=number)
    await row.fetch_related("account")
    person = ctx.require_person()
    relations = {"admin"} if await is_admin(person, row.account) else set()
    await allow(ctx, row_name, row.unit_id, relations=relations, id=row.id)
    if row.answered_at is not None:
        raise DomainError("message.already_answered", id=row.id)
    return row, rest


@router.command("已受理")
async def on_ack(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已受理 <编号>`: the public was told their message is being handled (rule R-MSG-1)."""
    row, _ = await _load(ctx, "已受理", "message.ack_usage")
    if row.acked_at is not None:
        raise DomainError("message.already_acked", id=row.id)
    row.acked_at, row.acked_by = event.received_at, ctx.require_person().id
    await row.save(update_fields=["acked_at", "acked_by"])
    late = row.acked_at > row.ack_due_at
    await ctx.audit("message.acked", f"message:{row.id}", late=late)
    await ctx.reply(ctx.text("message.acked", id=row.id, late=late,
                             answer=local_text(row.answer_due_at, clock(ctx))))


@router.command("已答复")
async def on_answer(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已答复 <编号> [网址]`: the result was given to the public (rule R-MSG-1)."""
    row, url = await _load(ctx, "已答复", "message.answer_usage")
    if url and not is_web_url(url):
        raise DomainError("message.bad_url", value=short(url))
    now, person = event.received_at, ctx.require_person()
    row.answered_at, row.answered_by, row.url = now, person.id, url
    fields = ["answered_at", "answered_by", "url"]
    if row.acked_at is None:  # an answer acknowledges too
        row.acked_at, row.acked_by = now, person.id
        fields += ["acked_at", "acked_by"]
    await row.save(update_fields=fields)
    late = now > row.answer_due_at
    await ctx.audit("message.answered", f"message:{row.id}", url=url, late=late)
    await ctx.reply(ctx.text("message.answered", id=row.id, late=late,
                             due=local_text(row.answer_due_at, clock(ctx))))


# --- the reminder kinds: acknowledgements, then answers ---

_COLUMNS = ("id", "unit_id", "account_id", "received_at", "summary", "account__name",
            "account__platform")


async def message_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """rule R-MSG-1: unacknowledged messages against ack_due_at, unanswered against
    answer_due_at, each on the dated ladder."""
    ahead = now + timedelta(days=policy.reminders.deadline_before_days + 1)
    stages = (
        ("message_ack", "ack_due_at",
         PublicMessage.filter(acked_at__isnull=True, answered_at__isnull=True,
                              ack_due_at__lte=ahead)),
        ("message_answer", "answer_due_at",
         PublicMessage.filter(answered_at__isnull=True, answer_due_at__lte=ahead)),
    )
    items = []
    for kind, column, query in stages:
        for msg_id, unit_id, account_id, received, summary, name, platform, due_at in \
                await query.values_list(*_COLUMNS, column):
            rung = reached(dated_ladder(policy, due_at, received, hours), now)
            if rung is None:
                continue
            items.append(Due(kind, f"message:{msg_id}", rung.stage, rung.audience, unit_id,
                             account_id=account_id, ctx={
                                 "id": msg_id, "account": label_of(name, platform),
                                 "summary": short(summary), "due": local_text(due_at, hours)}))
    return items
