"""请假 (issue 20): a person is away; new steps skip them, their open steps go to the deputy.

`请假 <起> <止> [代理人]` for oneself, `请假 <人员> <起> <止> [代理人]` by the unit's chief for a
member (the authorization table's 请假 row); `销假 [人员]` ends it early. While away, routing
skips the person (to the deputy if the deputy may hold the level under R-REV-3, else another
holder, else up the ladder) and the late-review reminders go to the deputy or the unit's
chief. The open steps are offered to the deputy when the absence begins: at once for one
that starts today, by the scheduler's event (bot/scheduler.py) for one registered ahead.
A reminder-log row per absence (kind "away") says its steps were offered, so that is done
once, by one replica.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast

from bot import clock
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
from models.reminders import ReminderLog
from models.review import Draft, DraftState, ReviewStep

router = Router("away")
MAX_DAYS = 366
START = "away_start"  # the scheduler's event: an absence registered ahead has begun
OFFERED = ("away", "start")  # the reminder-log kind and stage: its steps were offered


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


def _marker(absence_id: int) -> str:
    return f"absence:{absence_id}"


async def _offer(ctx: HandlerContext, absence: Absence, person: Person,
                 deputy: Person | None) -> tuple[int, int]:
    """The absence has begun: offer the person's open steps to the deputy, once (its
    reminder-log row); (moved, kept)."""
    if deputy is None:
        return 0, await ReviewStep.filter(assignee_id=person.id, decision__isnull=True).count()
    kind, stage = OFFERED
    if await ReminderLog.exists(subject=_marker(absence.id), kind=kind, stage=stage):
        return 0, 0
    await ReminderLog.create(subject=_marker(absence.id), kind=kind, stage=stage,
                             recipients=[deputy.id], scan=START, at=clock.utcnow())
    return await _deputy_steps(ctx, person, deputy)


def _days(absence: Absence, ctx: HandlerContext) -> dict[str, str]:
    """The absence as the local days people typed: first and last (inclusive)."""
    tz = ctx.settings.tz
    last = absence.ends_at.astimezone(tz) - timedelta(microseconds=1)
    return {"first": absence.starts_at.astimezone(tz).date().isoformat(),
            "last": last.date().isoformat()}


async def due_starts(now: datetime) -> list[tuple[Absence, Person]]:
    """Absences with a deputy that have begun and whose steps were not offered yet, with
    the absent person (active people only): the scheduler feeds a START event for each."""
    rows = await Absence.filter(starts_at__lte=now, ends_at__gt=now, deputy_id__isnull=False,
                                person__active=True).order_by("starts_at", "id") \
        .prefetch_related("person")
    if not rows:
        return []
    kind, stage = OFFERED
    done = set(cast(list[str], await ReminderLog.filter(
        kind=kind, stage=stage, subject__in=[_marker(a.id) for a in rows])
        .values_list("subject", flat=True)))
    return [(a, a.person) for a in rows if _marker(a.id) not in done]


@router.action(START)
async def on_away_start(event: IncomingEvent, ctx: HandlerContext) -> None:
    """The scheduler's event, as the absent person, when an absence registered ahead begins:
    their open steps are offered to the deputy, as 请假 does for one that starts at once."""
    person = ctx.require_person()
    try:
        absence = await Absence.get_or_none(id=int(ctx.args[0]))
    except (IndexError, ValueError):
        absence = None
    ties = {"self"} if absence is not None and absence.person_id == person.id else set()
    await authz.check(ctx, f"card:{START}", person.unit_id, relations=ties, name=person.name)
    now = event.received_at
    if absence is None or not absence.starts_at <= now < absence.ends_at \
            or absence.deputy_id is None:
        return  # called off (销假) or changed since: nothing to offer
    deputy = await Person.get_or_none(id=absence.deputy_id, active=True)
    if deputy is None:
        return  # the deputy left: routing and the reminders go past them
    moved, kept = await _offer(ctx, absence, person, deputy)
    if not moved and not kept:
        return
    span = {"name": person.name, "deputy": deputy.name, **_days(absence, ctx)}
    await ctx.audit("person.away_began", f"person:{person.id}", absence=absence.id,
                    moved=moved, kept=kept)
    if moved:
        await ctx.notify(deputy.id, ctx.text("away.deputy_told", moved=moved, **span))
    await ctx.reply(ctx.text("away.began", moved=moved, kept=kept, **span))


@router.command("销假")
async def on_back(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`销假 [人员]`: the absence in progress ends now, or the next one registered is called
    off; for oneself, or by the unit's chief for a member (the 销假 row)."""
    sender = ctx.require_person()
    assert ctx.command is not None
    who = ctx.command.args.strip()
    if len(who.split()) > 1:
        raise DomainError("away.back_usage")
    person = await find_person(who) if who else sender
    ties = {"self"} if person.id == sender.id else set()
    await authz.check(ctx, "销假", person.unit_id, relations=ties, name=person.name)
    now = clock.utcnow()
    current = await Absence.filter(person_id=person.id, starts_at__lte=now, ends_at__gt=now) \
        .order_by("starts_at", "id")
    if current:
        absences, ended = current, True
    else:
        upcoming = await Absence.filter(person_id=person.id, starts_at__gt=now) \
            .order_by("starts_at", "id").first()
        if upcoming is None:
            raise DomainError("away.not_away", name=person.name)
        absences, ended = [upcoming], False
    first = absences[0]
    span = {"name": person.name, **_days(first, ctx)}
    deputies = {a.deputy_id for a in absences if a.deputy_id}
    if ended:  # the record of the days away stays; it ends now
        await Absence.filter(id__in=[a.id for a in absences]).update(ends_at=now)
    else:
        await Absence.filter(id=first.id).delete()
    held = await ReviewStep.filter(on_behalf_of=person.id, decision__isnull=True) \
        .exclude(assignee_id=person.id).count()
    await ctx.audit("person.back", f"person:{person.id}", absences=[a.id for a in absences],
                    ended=ended, **span)
    words = {"ended": ended, "held": held, **span}
    if person.id != sender.id:
        await ctx.notify(person.id, ctx.text("away.back_told", by=sender.name, **words))
    for deputy_id in sorted(deputies):
        if deputy_id != sender.id:
            await ctx.notify(deputy_id, ctx.text("away.back_deputy_told", **words))
    await ctx.reply(ctx.text("away.back", **words))


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
    if starts_at <= clock.utcnow() < ends_at:
        moved, kept = await _offer(ctx, absence, person, deputy)
    span = {"name": person.name, "first": first.isoformat(), "last": last.isoformat(),
            "deputy": deputy.name if deputy else ""}
    if person.id != sender.id:
        await ctx.notify(person.id, ctx.text("away.told", by=sender.name, **span))
    if deputy is not None:
        await ctx.notify(deputy.id, ctx.text("away.deputy_told", moved=moved, **span))
    await ctx.reply(ctx.text("away.set", moved=moved, kept=kept, **span))
