"""请假 (issue 20): a person is away; new steps skip them, their open steps go to the deputy.

`请假 <起> <止> [代理人]` for oneself, `请假 <人员> <起> <止> [代理人]` by the unit's chief for a
member (the authorization table's 请假 row); `销假 [人员]` ends it early. While away, routing
skips the person (to the deputy if the deputy may hold the level under R-REV-3, else another
holder, else up the ladder) and the late-review reminders go to the deputy or the unit's
chief. The open steps are offered to the deputy when the absence begins: at once for one
that starts today, by the scheduler's event (bot/scheduler.py) for one registered ahead.
A step the deputy may not hold then (the check every move makes: R-REV-3, the level's
roles, not away) goes where routing would send a new one. A reminder-log row per absence
(kind "away"), claimed in the same transaction, says its steps were offered, so that is
done once, by one replica, and again after a failure.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from tortoise.expressions import F

from bot import clock
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent
from handlers.common import authz
from handlers.common.absence import away_at, span_of
from handlers.common.days import parse_day
from handlers.common.lookup import find_person
from handlers.review.moves import AWAY, DEPUTY, check_eligible, hand_to, ladder_from, move
from handlers.review.routing import assign, excluded_for
from models.org import Absence, Person
from models.reminders import ReminderLog
from models.review import Draft, DraftState, ReviewStep

router = Router("away")
MAX_DAYS = 366
START = "away_start"  # the scheduler's event: an absence registered ahead has begun
OFFERED = ("away", "start")  # the reminder-log kind and stage: its steps were offered
# who moves the steps of an absence registered ahead, in the audit chain and the steps'
# moves: the scheduler, as the outbox and the audit seal name themselves ("outbox", "system")
SCHEDULER = "scheduler"


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


@dataclass(frozen=True)
class Offered:
    """What became of the absent person's open steps when the absence began."""

    moved: int = 0  # to the deputy, on the person's behalf
    rerouted: int = 0  # the deputy may not hold them: to another holder or up the ladder
    kept: int = 0  # nobody else may hold them (or no deputy named): still with the person


async def _deputy_may_hold(ctx: HandlerContext, draft: Draft, step: ReviewStep,
                           deputy: Person | None) -> bool:
    """The check every move makes (check_eligible: R-REV-3, the level's roles, not away),
    and the deputy is still with the organisation."""
    if deputy is None or not deputy.active:
        return False
    try:
        await check_eligible(ctx, draft, step, deputy, ladder_from(ctx, step.role))
    except DomainError:
        return False
    return True


async def _deputy_steps(ctx: HandlerContext, absence: Absence, person: Person,
                        deputy: Person | None, by: str) -> Offered:
    """Offer the person's open steps to the deputy where the deputy may hold them; a step
    the deputy may not hold goes where routing sends a new one (assign: another holder,
    else up the ladder), and stays only when nobody may hold it. `by` is who moves them."""
    moved = rerouted = kept = 0
    steps = await ReviewStep.filter(assignee_id=person.id, decision__isnull=True) \
        .order_by("id").prefetch_related("draft")
    for step in steps:
        draft: Draft = step.draft
        current = draft.state == DraftState.REVIEWING and \
            (draft.version, draft.level) == (step.version, step.level)
        if not current:
            continue
        if deputy is not None and await _deputy_may_hold(ctx, draft, step, deputy):
            await hand_to(ctx, draft, step, deputy,
                          move(DEPUTY, by=by, frm=person.id, to=deputy.id, absence=absence.id),
                          on_behalf_of=person.id)
            moved += 1
            continue
        try:  # issue 20: as for a new step while the person is away (routing.assign)
            chosen = await assign(ctx.policy, draft, await draft.account, step.level,
                                  await excluded_for(draft, step.level))
        except DomainError:
            chosen = None
        if chosen is None or chosen.person.id == person.id:
            kept += 1
            continue
        await hand_to(ctx, draft, step, chosen.person,
                      move(AWAY, by=by, frm=person.id, to=chosen.person.id, absence=absence.id),
                      on_behalf_of=chosen.on_behalf_of)
        rerouted += 1
    return Offered(moved, rerouted, kept)


def _marker(absence_id: int) -> str:
    return f"absence:{absence_id}"


async def _claim(absence: Absence) -> bool:
    """The absence's reminder-log row, claimed under its unique key the way the reminder
    scan claims its rows (INSERT … ON CONFLICT DO NOTHING, then: is the row ours?). It is
    written in the handler's transaction: a failure rolls it back with the moves, and a
    later event tries again; of two at once, one claims it and the other does nothing."""
    kind, stage = OFFERED
    claim = uuid.uuid4().hex
    await ReminderLog.bulk_create([ReminderLog(
        subject=_marker(absence.id), kind=kind, stage=stage,
        recipients=[absence.deputy_id] if absence.deputy_id else [], scan=claim,
        at=clock.utcnow())], ignore_conflicts=True)
    return await ReminderLog.exists(subject=_marker(absence.id), kind=kind, stage=stage,
                                    scan=claim)


async def _offer(ctx: HandlerContext, absence: Absence, person: Person, deputy: Person | None,
                 by: str) -> Offered | None:
    """The absence has begun: offer the person's open steps to the deputy, once (its
    reminder-log row); None if that was done already. Without a deputy named they stay."""
    if absence.deputy_id is None:
        return Offered(kept=await ReviewStep.filter(assignee_id=person.id,
                                                    decision__isnull=True).count())
    if not await _claim(absence):
        return None
    return await _deputy_steps(ctx, absence, person, deputy, by)


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
    their open steps are offered to the deputy, as 请假 does for one that starts at once.
    The scheduler moves them, and the audit chain and the steps' moves say so (R-REV-5)."""
    person = ctx.require_person()
    ctx.actor = SCHEDULER
    try:
        absence = await Absence.get_or_none(id=int(ctx.args[0]))
    except (IndexError, ValueError):
        absence = None
    ties = {"self"} if absence is not None and absence.person_id == person.id else set()
    await authz.check(ctx, f"card:{START}", person.unit_id, relations=ties, name=person.name)
    now = event.received_at
    if absence is None or not absence.starts_at <= now < absence.ends_at \
            or absence.deputy_id is None:
        return  # called off (销假) or changed since: nothing to offer (nor due any more)
    # a deputy who left is offered nothing: their steps go where routing sends new ones
    deputy = await Person.get_or_none(id=absence.deputy_id)
    offered = await _offer(ctx, absence, person, deputy, SCHEDULER)
    if offered is None or offered == Offered():
        return
    span = {"name": person.name, "deputy": deputy.name if deputy else "", **_days(absence, ctx)}
    await ctx.audit("person.away_began", f"person:{person.id}", absence=absence.id,
                    moved=offered.moved, rerouted=offered.rerouted, kept=offered.kept)
    if offered.moved and deputy is not None:
        await ctx.notify(deputy.id, ctx.text("away.deputy_told", moved=offered.moved, **span))
    await ctx.reply(ctx.text("away.began", moved=offered.moved, rerouted=offered.rerouted,
                             kept=offered.kept, **span))


async def _held_for(person: Person, absences: list[Absence]) -> int:
    """The open steps others hold on the person's behalf because of these absences (those
    in progress): moved to the deputy by one of them (the move names it), or routed to the
    deputy while one of them was registered and under way; not those an earlier absence
    moved and its 销假 left with the deputy."""
    ids = {a.id for a in absences}
    held = 0
    for step in await ReviewStep.filter(on_behalf_of=person.id, decision__isnull=True) \
            .exclude(assignee_id=person.id):
        moved = [m for m in step.moves or [] if m["kind"] == DEPUTY and m.get("to") ==
                 step.assignee_id]
        if moved and "absence" in moved[-1]:
            ours = moved[-1]["absence"] in ids
        else:  # routed to the deputy when the step opened (or moved before moves named it)
            since = step.held_since()
            ours = any(a.created_at <= since and a.starts_at <= since for a in absences)
        held += 1 if ours else 0
    return held


async def _call_off(absences: list[Absence], now: datetime, ended: bool) -> None:
    """An absence in progress ends now (its record stays); one not begun goes. One the org
    file set is kept, marked called off, so that loading the same file again does not bring
    it back (bot/orgfile.py skips the file entry a called-off row holds: its start and the
    end it had, kept in file_ends_at)."""
    from_file = [a.id for a in absences if a.set_by == Absence.FROM_FILE]
    if from_file:
        # file_ends_at before ends_at: MySQL reads a column already set in the same SET
        await Absence.filter(id__in=from_file).update(
            set_by=Absence.CALLED_OFF, file_ends_at=F("ends_at"),
            ends_at=now if ended else absences[0].starts_at)
    ours = [a.id for a in absences if a.set_by != Absence.FROM_FILE]
    if ours and ended:
        await Absence.filter(id__in=ours).update(ends_at=now)
    elif ours:
        await Absence.filter(id__in=ours).delete()


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
            .exclude(set_by=Absence.CALLED_OFF).order_by("starts_at", "id").first()
        if upcoming is None:
            raise DomainError("away.not_away", name=person.name)
        absences, ended = [upcoming], False
    first = absences[0]
    span = {"name": person.name, **_days(first, ctx)}
    deputies = {a.deputy_id for a in absences if a.deputy_id}
    await _call_off(absences, now, ended)
    held = await _held_for(person, absences) if ended else 0  # one not begun moved nothing
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
    offered = Offered()
    if starts_at <= clock.utcnow() < ends_at:
        offered = await _offer(ctx, absence, person, deputy, sender.id) or Offered()
    span = {"name": person.name, "first": first.isoformat(), "last": last.isoformat(),
            "deputy": deputy.name if deputy else ""}
    if person.id != sender.id:
        await ctx.notify(person.id, ctx.text("away.told", by=sender.name, **span))
    if deputy is not None:
        await ctx.notify(deputy.id, ctx.text("away.deputy_told", moved=offered.moved, **span))
    await ctx.reply(ctx.text("away.set", moved=offered.moved, rerouted=offered.rerouted,
                             kept=offered.kept, **span))
