"""转载 tasks (R-RLY-1/2): a supervisor asks every host unit below to relay a post.

`转载 <来源URL> [标题]` opens the task (due relay.deadline_hours after it was received);
publishing a reviewed draft with `任务：<号>` closes a unit's share (R-REV-1: a relay is
reviewed like any post). `已转载 <任务号> <URL>` closes it without review only where the
profile allows verbatim relays of allow-listed sources (relay.verbatim_without_review).
`转载进度 <任务号>` shows the supervisor who is done. The scan chases the rest.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import utcnow
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingText
from bot.parsing import is_web_url
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from handlers.common import authz
from handlers.common.lookup import MAX_ROW_ID
from handlers.duty.roster import on_duty
from handlers.reminders.kinds import local_text
from models.org import Account, OrgTree, Person, Unit, chunks, event_org, people_by_id
from models.relay import RelayTarget, RelayTask

router = Router("relay")
_TASK_NO = re.compile(r"^#?\s*(\d+)$")
CONTACT_UNITS = 10  # units whose people one query of the relay reads


def _clock(ctx: HandlerContext) -> WorkingHours:
    rem = ctx.policy.reminders
    return WorkingHours.of(rem.work_start, rem.work_end, ctx.settings.tz)


def task_number(value: str, usage: str) -> int:
    match = _TASK_NO.match(value.strip())
    if not match:
        raise DomainError(usage)
    return int(match[1])


async def _unit_contacts(policy: Policy, org: OrgTree, unit: Unit) -> list[Person]:
    """R-RLY-1: the first of the profile's notify roles the unit has hears of a task."""
    for role in policy.relay.notify_roles:
        people = await org.holders(unit.id, role)
        if people:
            return people
    return []


@router.command("转载")
async def on_relay(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`转载 <来源URL> [标题]` (supervisors): a relay task for every host unit below."""
    person = await authz.check(ctx, "转载", None)
    assert ctx.command is not None
    url, _, title = ctx.command.args.partition(" ")
    if not url:
        raise DomainError("relay.usage")
    if not is_web_url(url):
        raise DomainError("relay.bad_url", value=url[:80])
    units = await (await person.unit).descendants()
    if not units:
        raise DomainError("relay.no_units")
    due = event.received_at + timedelta(hours=ctx.policy.relay.deadline_hours)  # rule R-RLY-1
    task = await RelayTask.create(source_url=url, title=title.strip(), created_by=person,
                                  unit_id=person.unit_id,
                                  received_at=event.received_at, due_at=due)
    for chunk in chunks(units):  # a statement per few hundred units: the loop gets turns
        await RelayTarget.bulk_create([RelayTarget(task=task, unit=u, due_at=due) for u in chunk])
    await ctx.audit("relay.opened", f"relay:{task.id}", url=url, title=task.title,
                    units=[u.id for u in units], due_at=due.isoformat())
    due_text = local_text(due, _clock(ctx))
    notice = ctx.text("relay.assigned", task=task.id, by=person.name, title=task.title or url,
                      url=url, due=due_text, verbatim=may_close_verbatim(ctx.policy, url))
    # rule R-DUT-1: outside working hours the task goes to whoever is on duty
    duty = await on_duty([u.id for u in units], event.received_at, _clock(ctx))
    on_watch = await people_by_id(p for ids in duty.values() for p in ids)  # one lookup
    org = event_org()
    # a few units' people per query, each batch's notices queued before the next is read: a
    # query's worth of people turned into objects at once holds the event loop (and the
    # callbacks this replica acknowledges) for tens of milliseconds per 50 units
    for batch in chunks(units, CONTACT_UNITS):
        await org.prepare(u.id for u in batch)
        for unit in batch:
            # the Person objects themselves: a lookup by id per contact costs a pass over
            # every person the event has read (a province's 100,000), 15,000 times
            contacts = [on_watch.get(p, p) for p in duty.get(unit.id, ())] \
                or await _unit_contacts(ctx.policy, org, unit)
            for contact in contacts:
                await ctx.say(contact, notice)
    await ctx.reply(ctx.text("relay.opened", task=task.id, title=task.title or url,
                             count=len(units), due=due_text,
                             hours=ctx.policy.relay.deadline_hours))


async def _open_task(task_no: int) -> RelayTask:
    task = await RelayTask.get_or_none(id=task_no) if 0 < task_no <= MAX_ROW_ID else None
    if task is None:
        raise DomainError("relay.unknown_task", task=task_no)
    return task


async def _close(ctx: HandlerContext, target: RelayTarget, url: str, draft_id: int | None) -> None:
    """Close one unit's share (conditionally: of two racing closes one wins)."""
    person = ctx.require_person()
    now = utcnow()
    won = await RelayTarget.filter(id=target.id, done_at__isnull=True).update(
        done_at=now, done_by=person.id, url=url, draft_id=draft_id)
    if won != 1:
        return
    task = await target.task
    unit = await target.unit
    await ctx.audit("relay.done", f"relay:{task.id}", unit=unit.id, url=url, draft=draft_id,
                    late=now > target.due_at)
    await ctx.reply(ctx.text("relay.done", task=task.id, unit=unit.name, late=now > target.due_at))
    if not await RelayTarget.exists(task_id=task.id, done_at__isnull=True):
        count = await RelayTarget.filter(task_id=task.id).count()
        await ctx.say(task.created_by_id,
                      ctx.text("relay.all_done", task=task.id, title=task.title or task.source_url,
                               count=count))


def may_close_verbatim(policy: Policy, source_url: str) -> bool:
    """R-REV-1: `已转载` (no review) only where the profile allows verbatim relays, and only
    of a source on the allow-list (R-REV-4)."""
    return policy.relay.verbatim_without_review and policy.is_allowed_source(source_url)


@router.command("已转载")
async def on_relayed(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已转载 <任务号> <URL>`: my unit has relayed the post verbatim (where allowed)."""
    person = ctx.require_person()
    assert ctx.command is not None
    number, _, url = ctx.command.args.partition(" ")
    task = await _open_task(task_number(number, "relay.done_usage"))
    if not may_close_verbatim(ctx.policy, task.source_url):
        # rule R-REV-1: the relay goes through review; publishing the draft closes the task
        raise DomainError("relay.review_required", task=task.id,
                          allowed=ctx.policy.relay.verbatim_without_review)
    url = url.strip()
    if not is_web_url(url):
        raise DomainError("relay.done_usage")
    await authz.check(ctx, "已转载", None, task=task.id)  # the sender's own unit's share
    target = await RelayTarget.select_for_update().get_or_none(
        task_id=task.id, unit_id=person.unit_id)
    if target is None:
        raise DomainError("relay.not_your_task", task=task.id)
    if target.done_at is not None:
        closer = await Person.get_or_none(id=target.done_by or "")
        raise DomainError("relay.already_done", task=task.id, at=local_text(target.done_at,
                                                                             _clock(ctx)),
                          by=closer.name if closer else target.done_by)
    await _close(ctx, target, url, None)


@router.command("转载进度")
async def on_progress(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`转载进度 <任务号>`: which units are done, for the supervisor."""
    person = ctx.require_person()
    assert ctx.command is not None
    task = await _open_task(task_number(ctx.command.args, "relay.progress_usage"))
    ties = {"creator"} if person.id == task.created_by_id else set()
    await authz.check(ctx, "转载进度", task.unit_id, relations=ties,
                      task=task.id)
    clock, now = _clock(ctx), utcnow()
    org = OrgTree()
    # only the asker's area: the units they are in or above (the creator sees every unit)
    targets = [t for t in await RelayTarget.filter(task_id=task.id).order_by("unit_id")
               .prefetch_related("unit")
               if await authz.permits(person, "转载进度:单位", t.unit_id,
                                      relations=ties, org=org)]
    closers = {p.id: p.name for p in await Person.filter(
        id__in=[t.done_by for t in targets if t.done_by])}
    done = [{"unit": t.unit.name, "at": local_text(t.done_at, clock), "url": t.url,
             "by": closers.get(t.done_by or "", t.done_by), "late": t.done_at > t.due_at}
            for t in targets if t.done_at is not None]
    pending = [t.unit.name for t in targets if t.done_at is None]
    await ctx.reply(OutgoingText(ctx.render(
        "text/relay_progress.md.j2", task=task.id, title=task.title or task.source_url,
        url=task.source_url, due=local_text(task.due_at, clock), overdue=now > task.due_at,
        done=done, pending=pending), markdown=True))


async def task_for_draft(task_no: int, account: Account) -> RelayTask:
    """The task a draft answers (`任务：N`): it must be open for the account's unit."""
    task = await _open_task(task_no)
    if not await RelayTarget.exists(task_id=task.id, done_at__isnull=True,
                                    unit_id=account.unit_id):
        unit = await Unit.get(id=account.unit_id)
        raise DomainError("relay.task_closed_for_unit", task=task.id, unit=unit.name)
    return task


async def close_by_draft(ctx: HandlerContext, task_id: int, unit_id: str, draft_id: int,
                         url: str) -> None:
    """Publishing a reviewed draft linked to a task closes the unit's share, if still open."""
    target = await RelayTarget.get_or_none(task_id=task_id, unit_id=unit_id,
                                           done_at__isnull=True)
    if target is not None:
        await _close(ctx, target, url, draft_id)
