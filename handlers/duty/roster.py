"""The duty roster (rule R-DUT-1): 24-hour watch at important times and on holidays.

`值班 <日期或范围> <人员>[、人员…]` puts people of the sender's unit on duty
(`值班 <日期或范围> 取消 [人员]` takes them off); `值班表 [单位]` shows the roster and the next
public holiday's gaps. Relay tasks and emergency reports that arrive outside working hours
go to whoever is on duty (`on_duty`); the reminder scan chases units whose roster is empty
before a public holiday (handlers/duty/due.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from bot.datefmt import month_day
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingText
from bot.reminders.hours import WorkingHours
from bot.workdays import HolidayPeriod, holiday_periods
from handlers.common.days import days_of, parse_span
from handlers.common.lookup import find_people
from handlers.followups.access import allow
from handlers.followups.common import clock, tell, today
from handlers.registry.access import find_unit
from models.duty import DutyShift
from models.org import Account, OrgTree, Person, Unit, chunks

router = Router("duty")
MAX_DAYS = 62  # one command covers at most two months
SHOWN_DAYS = 31  # 值班表 looks this far ahead, and through the next holiday
CANCEL = ("取消", "删除")


def watch_day(moment: datetime, hours: WorkingHours) -> date:
    """A day's watch runs from the start of working hours to the next day's start."""
    start = hours.start
    return (hours.local(moment) - timedelta(hours=start.hour, minutes=start.minute)).date()


async def on_duty(unit_ids: list[str], moment: datetime,
                  hours: WorkingHours) -> dict[str, list[str]]:
    """Outside working hours: who is on duty for each of these units (person ids, active
    people only); {} during working hours, when the usual people are at work."""
    if hours.is_open(moment):
        return {}
    day, found = watch_day(moment, hours), defaultdict(list)
    for chunk in chunks(sorted(set(unit_ids))):
        for unit_id, person_id in await DutyShift.filter(
                day=day, unit_id__in=chunk, person__active=True).order_by("person_id") \
                .values_list("unit_id", "person_id"):
            found[unit_id].append(person_id)
    return dict(found)


def span_text(first: date, last: date) -> str:
    return month_day(first) if first == last else f"{month_day(first)}–{month_day(last)}"


def gap_spans(days: list[date]) -> list[str]:
    """Consecutive days as spans: [10月1日–10月3日, 10月6日]."""
    spans: list[list[date]] = []
    for day in sorted(days):
        if spans and (day - spans[-1][-1]).days == 1:
            spans[-1].append(day)
        else:
            spans.append([day])
    return [span_text(s[0], s[-1]) for s in spans]


def _split(args: str, lines: tuple[str, ...], day: date) -> tuple[tuple[date, date], str]:
    when, _, who = args.partition(" ")
    span = parse_span(when, day)
    if span is None:
        raise DomainError("duty.usage")
    if (span[1] - span[0]).days >= MAX_DAYS:
        raise DomainError("duty.too_long", days=MAX_DAYS)
    return span, " ".join([who, *lines]).strip()


@router.command("值班")
async def on_roster(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`值班 <日期或范围> <人员>` / `值班 <日期或范围> 取消 [人员]`: the unit's roster (R-DUT-1)."""
    assert ctx.command is not None
    hours = clock(ctx)
    (first, last), who = _split(ctx.command.args, ctx.command.lines, today(event.received_at,
                                                                             hours))
    person = ctx.require_person()
    unit_id = person.unit_id
    await allow(ctx, "值班", unit_id)
    word, _, rest = who.partition(" ")
    if word in CANCEL:
        await _cancel(ctx, unit_id, first, last, rest)
        return
    if not who:
        raise DomainError("duty.usage")
    if last < today(event.received_at, hours):
        raise DomainError("duty.past", span=span_text(first, last))
    people = await find_people(who, [unit_id])
    days = days_of(first, last)
    rows = [DutyShift(unit_id=unit_id, person_id=p.id, day=d, set_by=person.id)
            for p in people for d in days]
    await DutyShift.bulk_create(rows, ignore_conflicts=True)
    names, span = [p.name for p in people], span_text(first, last)
    await ctx.audit("duty.set", f"duty:{unit_id}", first=first.isoformat(),
                    last=last.isoformat(), people=[p.id for p in people])
    await tell(ctx, people, ctx.text("duty.assigned", span=span, by=person.name))
    await ctx.reply(ctx.text("duty.set", span=span, names=names, days=len(days)))


async def _cancel(ctx: HandlerContext, unit_id: str, first: date, last: date, who: str) -> None:
    query = DutyShift.filter(unit_id=unit_id, day__gte=first, day__lte=last)
    if who:
        people = await find_people(who, [unit_id])
        query = query.filter(person_id__in=[p.id for p in people])
    removed = await query.delete()
    await ctx.audit("duty.cancelled", f"duty:{unit_id}", first=first.isoformat(),
                    last=last.isoformat(), who=who)
    await ctx.reply(ctx.text("duty.cancelled", span=span_text(first, last), count=removed))


async def roster(unit_id: str, first: date, last: date) -> dict[date, list[str]]:
    """Names on duty per day of [first, last] for one unit (active people only)."""
    found: dict[date, list[str]] = defaultdict(list)
    for day, name in await DutyShift.filter(unit_id=unit_id, day__gte=first, day__lte=last,
                                            person__active=True) \
            .order_by("day", "person_id").values_list("day", "person__name"):
        found[day].append(name)
    return dict(found)


async def uncovered(unit_ids: list[str], period: HolidayPeriod) -> dict[str, list[date]]:
    """For each unit, the days of the period with no one on duty (units fully covered are
    left out)."""
    covered: dict[str, set[date]] = defaultdict(set)
    for chunk in chunks(sorted(set(unit_ids))):
        for unit_id, day in await DutyShift.filter(
                unit_id__in=chunk, day__gte=period.first, day__lte=period.last,
                person__active=True).values_list("unit_id", "day"):
            covered[unit_id].add(day)
    wanted = days_of(period.first, period.last)
    return {u: [d for d in wanted if d not in covered[u]] for u in sorted(set(unit_ids))
            if len(covered[u]) < len(wanted)}


def next_holiday(day: date) -> HolidayPeriod | None:
    periods = holiday_periods(day, day + timedelta(days=366))
    return periods[0] if periods else None


@router.command("值班表")
async def on_show(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`值班表 [单位]`: who is on duty from today, and the next holiday's gaps (R-DUT-1)."""
    assert ctx.command is not None
    person = ctx.require_person()
    unit = (await find_unit(ctx.command.args) if ctx.command.args
            else await Unit.get(id=person.unit_id))
    await allow(ctx, "值班表", unit.id, unit=unit.name)
    day = today(event.received_at, clock(ctx))
    holiday = next_holiday(day)
    last = max(day + timedelta(days=SHOWN_DAYS), holiday.last if holiday else day)
    shifts = await roster(unit.id, day, last)
    gaps = (await uncovered([unit.id], holiday)).get(unit.id, []) if holiday else []
    below = await _units_below(person, unit, holiday)
    await ctx.reply(OutgoingText(ctx.render(
        "text/duty_roster.md.j2", unit=unit.name,
        days=[{"day": span_text(d, d), "names": names} for d, names in sorted(shifts.items())],
        holiday=({"names": holiday.names, "span": span_text(holiday.first, holiday.last),
                  "gaps": gap_spans(gaps)} if holiday else None),
        below=below), markdown=True))


async def _units_below(person: Person, unit: Unit, holiday: HolidayPeriod | None,
                       ) -> list[dict[str, object]]:
    """For a supervisor looking at their own unit: the units below with holiday gaps."""
    own = person.unit_id
    if holiday is None or unit.id != own or not person.has_role("supervisor"):
        return []
    units = {u.id: u.name for u in await unit.descendants()}
    # units that run an active account keep a watch (as the reminder counts them)
    running = await Account.filter(unit_id__in=list(units), status="normal").distinct() \
        .values_list("unit_id", flat=True)
    gaps = await uncovered([str(u) for u in running], holiday)
    return [{"unit": units[u], "gaps": gap_spans(days)} for u, days in gaps.items()]


async def night_watch(unit_id: str, moment: datetime, hours: WorkingHours) -> list[str]:
    """Outside working hours: who is on duty for the unit and every unit above it, nearest
    first (an emergency is reported up the chain, R-ACC-9); [] in working hours."""
    chain = [unit_id, *[u.id for u in await OrgTree().ancestors(unit_id)]]
    duty = await on_duty(chain, moment, hours)
    return list(dict.fromkeys(p for u in chain for p in duty.get(u, [])))
