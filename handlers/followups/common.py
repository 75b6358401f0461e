"""What the follow-up commands share: their numbers, dated deadlines and reminder ladders."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.dispatcher import HandlerContext
from bot.errors import DomainError
from bot.events import OutgoingText
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.rendering import msg
from handlers.common.lookup import platform_label
from handlers.registry.filing_effects import end_of
from handlers.reminders.kinds import DOERS, LEADERS, SUPERVISOR, Rung, ladder
from models.org import Account, OrgTree, Person

_NUMBER = re.compile(r"^#?\s*(\d+)(?:\s+(.*))?$", re.S)


def clock(ctx: HandlerContext) -> WorkingHours:
    rem = ctx.policy.reminders
    return WorkingHours.of(rem.work_start, rem.work_end, ctx.settings.tz)


def numbered(ctx: HandlerContext, usage: str) -> tuple[int, str]:
    """'12 说明…' or '#12 说明…' (with the following lines) → (12, '说明…');
    DomainError(usage) without a number."""
    assert ctx.command is not None
    match = _NUMBER.match(ctx.command.args)
    if not match:
        raise DomainError(usage)
    rest = "\n".join([match[2] or "", *ctx.command.lines]).strip()
    return int(match[1]), rest


def today(moment: datetime, hours: WorkingHours) -> date:
    return hours.local(moment).date()


def due_end(day: date, hours: WorkingHours) -> datetime:
    """A deadline that is a date: the end of that day in the office's zone."""
    return end_of(day, hours.tz)


def dated_ladder(policy: Policy, due_at: datetime, since: datetime,
                 hours: WorkingHours) -> tuple[Rung, ...]:
    """The ladder of a deadline that is a date: a warning deadline_before_days ahead and on
    the last day itself (each only when it comes after the item was opened, which told the
    doers already), the unit's leaders the day after, the escalation roles
    deadline_escalate_days later."""
    rem = policy.reminders
    last_day = datetime.combine(hours.local(due_at).date(), time(0), hours.tz)
    before = last_day - timedelta(days=rem.deadline_before_days)
    steps = [(stage, at, [DOERS]) for stage, at in (("before", before), ("due", last_day))
             if at > since]
    return ladder(*steps, ("overdue", due_at, [DOERS, LEADERS]),
                  ("escalated", due_at + timedelta(days=rem.deadline_escalate_days),
                   [DOERS, LEADERS, SUPERVISOR]))


async def unit_doers(policy: Policy, unit_id: str) -> list[Person]:
    """Who acts for a unit when nobody is named: the profile's doer roles, in order."""
    org = OrgTree()
    found = [p for role in policy.reminders.doer_roles for p in await org.holders(unit_id, role)]
    return list({p.id: p for p in found}.values())


async def account_doers(policy: Policy, account: Account) -> list[Person]:
    """The account's active admins, else the unit's doer roles (as the reminders choose)."""
    admins = await account.admins.filter(active=True).order_by("id")
    return list(admins) or await unit_doers(policy, account.unit_id)


async def is_admin(person: Person, account: Account) -> bool:
    return await account.admins.filter(id=person.id).exists()


async def tell(ctx: HandlerContext, people: list[Person], message: OutgoingText) -> None:
    """Notify each person once, never the sender (who gets the reply)."""
    sender = ctx.person.id if ctx.person else None
    for person_id in dict.fromkeys(p.id for p in people):
        if person_id != sender:
            await ctx.notify(person_id, message)


def label_of(name: str, platform: str) -> str:
    """An account's label from the two columns a reminder query fetched."""
    return msg("account.label", name=name, platform=platform_label(platform))


def short(text: str, limit: int = 40) -> str:
    """One line of at most `limit` characters, for reminder lines and lists."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "…"
