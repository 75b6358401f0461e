"""Policy interpretation (rule R-INT-1): a unit that issues a major policy document
publishes an interpretation within 20 workdays of the issue date.

`解读 <文件标题> [发布日期] [网址]` opens the task for the sender's unit (a supervisor may
name a unit below with a line `单位：<单位名>`); `已解读 <编号> <网址>` closes it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.dispatcher import HandlerContext, Router, normalize
from bot.errors import DomainError
from bot.events import IncomingEvent
from bot.parsing import is_web_url
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.workdays import add_workdays
from handlers.common.days import parse_day
from handlers.followups.access import allow
from handlers.followups.common import (
    clock,
    dated_ladder,
    due_end,
    numbered,
    short,
    tell,
    today,
    unit_doers,
)
from handlers.registry.access import find_unit
from handlers.reminders.kinds import Due, local_date, local_text, reached
from models.followups import Interpretation
from models.org import Unit

router = Router("interpretation")
UNIT_LINE = "单位:"  # normalized: 单位： folds to this
TITLE_MARKS = "《》\"“”"


def _parse(args: str, day: date) -> tuple[str, date | None, str]:
    """'<标题> [日期] [网址]' → (title, issue date or None, url); the date and address are
    picked from the end, in either order."""
    words, issued, url = args.split(" "), None, ""
    while len(words) > 1:
        if not url and is_web_url(words[-1]):
            url = words.pop()
        elif issued is None and (found := parse_day(words[-1], day, future=False)):
            issued = found
            words.pop()
        else:
            break
    return " ".join(words).strip(TITLE_MARKS + " "), issued, url


async def _unit(ctx: HandlerContext) -> Unit:
    """The sender's unit, or the one a `单位：` line names."""
    assert ctx.command is not None
    named = [normalize(line)[len(UNIT_LINE):].strip() for line in ctx.command.lines
             if normalize(line).startswith(UNIT_LINE)]
    if named:
        return await find_unit(named[-1])
    return await Unit.get(id=ctx.require_person().unit_id)


@router.command("解读")
async def on_open(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`解读 <文件标题> [发布日期] [网址]`: the issuing unit must interpret it (rule R-INT-1)."""
    assert ctx.command is not None
    hours, now = clock(ctx), event.received_at
    day = today(now, hours)
    title, issued, url = _parse(ctx.command.args, day)
    if not title:
        raise DomainError("interpretation.usage")
    unit = await _unit(ctx)
    person = await allow(ctx, "解读", unit.id, unit=unit.name)
    issued = issued or day
    if issued > day:
        raise DomainError("interpretation.future", day=local_date(due_end(issued, hours), hours))
    within = ctx.policy.interpretation.within_workdays  # rule R-INT-1
    due = due_end(add_workdays(issued, within), hours)
    row = await Interpretation.create(unit=unit, title=title, issued_on=issued, source_url=url,
                                      opened_by=person, opened_at=now, due_at=due)
    await ctx.audit("interpretation.opened", f"interpretation:{row.id}", unit=unit.id,
                    title=title, issued_on=issued.isoformat(), due_at=due.isoformat())
    facts = {"id": row.id, "title": title, "unit": unit.name, "due": local_text(due, hours),
             "days": within, "issued": local_date(due_end(issued, hours), hours)}
    doers = await unit_doers(ctx.policy, unit.id)
    await tell(ctx, doers, ctx.text("interpretation.assigned", by=person.name, **facts))
    await ctx.reply(ctx.text("interpretation.opened", doers=[p.name for p in doers], **facts))


@router.command("已解读")
async def on_done(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已解读 <编号> <网址>`: the interpretation is published (rule R-INT-1)."""
    number, url = numbered(ctx, "interpretation.done_usage")
    row = await Interpretation.select_for_update().get_or_none(id=number)
    if row is None:
        raise DomainError("interpretation.unknown", id=number)
    await row.fetch_related("unit")
    person = await allow(ctx, "已解读", row.unit.id, unit=row.unit.name)
    if not is_web_url(url):
        raise DomainError("interpretation.done_usage")
    if row.done_at is not None:
        raise DomainError("interpretation.already_done", id=row.id)
    row.done_at, row.done_by, row.url = event.received_at, person.id, url
    await row.save(update_fields=["done_at", "done_by", "url"])
    late = row.done_at > row.due_at
    await ctx.audit("interpretation.done", f"interpretation:{row.id}", url=url, late=late)
    await ctx.reply(ctx.text("interpretation.done", id=row.id, title=row.title, late=late,
                             due=local_text(row.due_at, clock(ctx))))


async def interpretation_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """rule R-INT-1: open interpretations on the dated ladder; the unit's doer roles act."""
    ahead = now + timedelta(days=policy.reminders.deadline_before_days + 1)
    rows = await Interpretation.filter(done_at__isnull=True, due_at__lte=ahead).values_list(
        "id", "unit_id", "title", "opened_at", "due_at", "opened_by_id")
    items = []
    for row_id, unit_id, title, opened, due_at, opener in rows:
        rung = reached(dated_ladder(policy, due_at, opened, hours), now)
        if rung is not None:
            items.append(Due("interpretation", f"interpretation:{row_id}", rung.stage,
                             rung.audience, unit_id, extra=(opener,), ctx={
                                 "id": row_id, "title": short(title),
                                 "due": local_text(due_at, hours)}))
    return items
