"""请假 (issue 20): a person is away; new steps skip them, their open steps go to the deputy.

`请假 <起> <止> [代理人]` for oneself, `请假 <人员> <起> <止> [代理人]` by the unit's chief for a
member (the authorization table's 请假 row). While away, routing skips the person (to the
deputy if the deputy may hold the level under R-REV-3, else another holder, else up the
ladder) and the late-review reminders go to the deputy or the unit's chief.
"""

from __future__ import annotations

from datetime import date

from bot.clock import utcnow
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent
from handlers.common import authz
from handlers.common.absence import away_at, span_of
from handlers.common.days import parse_day
from handlers.common.lookup import find_person
from handlers.review.moves import DEPUTY, hand_to, move
from handlers.review.routing import excluded_for, may_hold
from models.org import Absence, OrgTree, Person
from models.review import Draft, DraftState, ReviewStep

router = Router("away")
MAX_DAYS = 366


def _parse(args: str, today: date) -> tuple[str, date, date, str]:
    """'[人员] 起 止 [代理人]' → (人员 or '', first, last, 代理人 or '')."""
    words = args.split()
    who = ""
    if words and parse_day(words[0], today) is None:
        who, words = words[0], words[1:]
    if len(words) < 2:
        raise DomainError("away.usage")
    first, last = parse_day(words[0], today), parse_day(words[1], today)
    if first is None or last is None or len(words) > 3:
        raise DomainError("away.usage")
    return who, first, last, words[2] if len(words) == 3 else ""


async def _deputy_steps(ctx: HandlerContext, person: Person, deputy: Person) -> tuple[int, int]:
    """Offer the person's open steps to the deputy (R-REV-3 checked per step); (moved, kept)."""
    moved = kept = 0
    org = OrgTree()
    ladder = list(ctx.policy.review.escalation)
    steps = await ReviewStep.filter(assignee_id=person.id, decision__isnull=True) \
        .order_by("id").prefetch_related("draft")
    for step in steps:
        draft: Draft = step.draft
        current = draft.state == DraftState.REVIEWING and \
            (draft.version, draft.level) == (step.version, step.level)
        if not current:
            continue
        account = await draft.account
        roles = ladder[ladder.index(step.role):] if step.role in ladder else [step.role]
        if deputy.id in await excluded_for(draft, step.level) or \
                not await may_hold(org, account.unit_id, deputy, roles):
            kept += 1
            continue
        await hand_to(ctx, draft, step, deputy,
                      move(DEPUTY, by=ctx.require_person().id, frm=person.id, to=deputy.id),
                      on_behalf_of=person.id)
        moved += 1
    return moved, kept


@router.command("请假")
async def on_away(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`请假 [人员] <起> <止> [代理人]`: away from the first to the last day (inclusive)."""
    sender = ctx.require_person()
    assert ctx.command is not None
    tz = ctx.settings.tz
    today = event.received_at.astimezone(tz).date()
    who, first, last, deputy_name = _parse(ctx.command.args, today)
    person = await find_person(who) if who else sender
    ties = {"self"} if person.id == sender.id else set()
    await authz.check(ctx, "请假", person.unit_id, relations=ties,
                      name=person.name)
    if last < first or last < today:
        raise DomainError("away.bad_span", first=first.isoformat(), last=last.isoformat())
    if (last - first).days >= MAX_DAYS:
        raise DomainError("away.too_long", days=MAX_DAYS)
    deputy = await find_person(deputy_name) if deputy_name else None
    if deputy is not None and deputy.id == person.id:
        raise DomainError("away.self_deputy")
    if deputy is not None and await away_at([deputy.id], span_of(first, first, tz)[0]):
        raise DomainError("away.deputy_away", name=deputy.name)
    starts_at, ends_at = span_of(first, last, tz)
    absence = await Absence.create(person=person, starts_at=starts_at, ends_at=ends_at,
                                   deputy=deputy, set_by=sender.id)
    await ctx.audit("person.away", f"person:{person.id}", absence=absence.id,
                    first=first.isoformat(), last=last.isoformat(),
                    deputy=deputy.id if deputy else None)
    moved = kept = 0
    if starts_at <= utcnow() < ends_at:
        if deputy is not None:
            moved, kept = await _deputy_steps(ctx, person, deputy)
        else:
            kept = await ReviewStep.filter(assignee_id=person.id, decision__isnull=True).count()
    span = {"name": person.name, "first": first.isoformat(), "last": last.isoformat(),
            "deputy": deputy.name if deputy else ""}
    if person.id != sender.id:
        await ctx.notify(person.id, ctx.text("away.told", by=sender.name, **span))
    if deputy is not None:
        await ctx.notify(deputy.id, ctx.text("away.deputy_told", moved=moved, **span))
    await ctx.reply(ctx.text("away.set", moved=moved, kept=kept, **span))
