"""Counterfeit accounts (rule R-ACC-14): verified at once, reported to 网信/公安 and the
platform, and filed with the supervising office above, tracked to closure.

`仿冒 <平台> <名称或网址> [说明]` reports one: the unit it impersonates (the unit of an account
of that exact name, else the reporter's) hears it through its `counterfeit.report_roles`, and
every supervisor above gets the report, with what must be done. `仿冒处置 <编号> <步骤>
[说明]` records each step; `已关停` closes it once verified and reported (the bot then files
the outcome with the supervisors above), `不属实` closes it as unfounded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.dispatcher import HandlerContext, Router, normalize
from bot.errors import DomainError
from bot.events import IncomingEvent
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.rendering import msg
from bot.workdays import add_workdays
from handlers.followups.access import allow
from handlers.followups.common import clock, dated_ladder, due_end, numbered, short, tell, today
from handlers.reminders.kinds import Due, local_text, reached, stamp
from models.followups import CounterfeitReport, CounterfeitStep
from models.org import Account, OrgTree, Person, Unit

router = Router("counterfeit")
Step = CounterfeitStep
# what people type for each step (normalized), the required ones in order
STEP_WORDS = {"核实": Step.VERIFIED, "已核实": Step.VERIFIED, "网信": Step.AUTHORITIES,
              "公安": Step.AUTHORITIES, "网信公安": Step.AUTHORITIES, "报告": Step.AUTHORITIES,
              "平台": Step.PLATFORM, "致函": Step.PLATFORM, "关停": Step.CLOSED,
              "已关停": Step.CLOSED, "办结": Step.CLOSED, "不属实": Step.UNFOUNDED}
REQUIRED = (Step.VERIFIED, Step.AUTHORITIES, Step.PLATFORM)  # before 已关停
ENDS = (Step.CLOSED, Step.UNFOUNDED)


def step_label(step: Step) -> str:
    return msg(f"counterfeit.step_{step}")


def missing(steps: dict[str, object]) -> list[Step]:
    return [s for s in REQUIRED if s not in steps]


async def chain(policy: Policy, unit_id: str) -> tuple[list[Person], list[Person]]:
    """rule R-ACC-14: (the unit's report roles, every supervisor above it)."""
    org = OrgTree()
    roles = policy.counterfeit.report_roles
    leaders = [p for role in roles for p in await org.holders(unit_id, role)]
    return list({p.id: p for p in leaders}.values()), await org.overseers(unit_id)


async def _impersonated(target: str, person: Person) -> Unit:
    """The unit of an account of exactly this name, else the reporter's own unit."""
    account = await Account.filter(name=target).order_by("id").first()
    unit_id = account.unit_id if account else person.unit_id
    return await Unit.get(id=unit_id)


@router.command("仿冒")
async def on_report(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`仿冒 <平台> <名称或网址> [说明]`: report a counterfeit account (rule R-ACC-14)."""
    assert ctx.command is not None
    platform, _, rest = ctx.command.args.partition(" ")
    target, _, note = rest.partition(" ")
    note = "\n".join([note, *ctx.command.lines]).strip()
    if not platform or not target:
        raise DomainError("counterfeit.usage")
    person = ctx.require_person()
    unit = await _impersonated(target, person)
    await allow(ctx, "仿冒", unit.id)
    hours, now = clock(ctx), event.received_at
    due = due_end(add_workdays(today(now, hours), ctx.policy.counterfeit.verify_within_workdays),
                  hours)
    row = await CounterfeitReport.create(unit=unit, platform=platform[:64], target=target,
                                         note=note, reported_by=person, reported_at=now,
                                         verify_due_at=due)
    await ctx.audit("counterfeit.reported", f"counterfeit:{row.id}", unit=unit.id,
                    platform=platform, target=target, note=note)
    leaders, above = await chain(ctx.policy, unit.id)
    facts = {"id": row.id, "platform": platform, "target": target, "note": note,
             "unit": unit.name, "by": person.name, "due": local_text(due, hours)}
    await tell(ctx, leaders, ctx.text("counterfeit.assigned", **facts))
    await tell(ctx, above, ctx.text("counterfeit.filed_up", **facts))
    await ctx.reply(ctx.text("counterfeit.reported", told=[p.name for p in leaders + above],
                             **facts))


@router.command("仿冒处置")
async def on_step(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`仿冒处置 <编号> <步骤> [说明]`: a step of handling a counterfeit (rule R-ACC-14)."""
    number, rest = numbered(ctx, "counterfeit.step_usage")
    word, *note = rest.split(maxsplit=1) or [""]
    step = STEP_WORDS.get(normalize(word))
    if step is None:
        raise DomainError("counterfeit.step_usage")
    row = await CounterfeitReport.select_for_update().get_or_none(id=number)
    if row is None:
        raise DomainError("counterfeit.unknown", id=number)
    person = ctx.require_person()
    relations = {"reporter"} if row.reported_by_id == person.id else set()
    await allow(ctx, "仿冒处置", row.unit_id, relations=relations, id=row.id)
    if row.closed_at is not None:
        raise DomainError("counterfeit.closed", id=row.id)
    if step is Step.CLOSED and missing(row.steps):
        raise DomainError("counterfeit.not_ready", id=row.id,
                          steps=[step_label(s) for s in missing(row.steps)])
    await _record(ctx, row, step, "".join(note).strip(), person, event.received_at)


async def _record(ctx: HandlerContext, row: CounterfeitReport, step: Step, note: str,
                  person: Person, now: datetime) -> None:
    steps = dict(row.steps)
    steps[step] = {"at": now.isoformat(), "by": person.id, "note": note}
    fields = ["steps"]
    if step in (Step.VERIFIED, Step.UNFOUNDED) and row.verified_at is None:
        row.verified_at = now
        fields.append("verified_at")
    if step in ENDS:
        # rule R-ACC-14 "报上一级主管单位备案": the bot files the outcome with them now
        steps[Step.FILED] = {"at": now.isoformat(), "by": "bot", "note": ""}
        row.closed_at, row.outcome = now, str(step)
        fields += ["closed_at", "outcome"]
    row.steps = steps
    await row.save(update_fields=fields)
    await ctx.audit("counterfeit.step", f"counterfeit:{row.id}", step=str(step), note=note)
    unit = await Unit.get(id=row.unit_id)
    facts = {"id": row.id, "target": row.target, "platform": row.platform, "unit": unit.name,
             "step": step_label(step), "note": note, "by": person.name}
    if step in ENDS:
        leaders, above = await chain(ctx.policy, unit.id)
        reporter = await Person.get_or_none(id=row.reported_by_id)
        await tell(ctx, [*leaders, *above, *([reporter] if reporter else [])],
                   ctx.text("counterfeit.closed_notice", unfounded=step is Step.UNFOUNDED,
                            **facts))
    await ctx.reply(ctx.text("counterfeit.recorded", closed=step in ENDS,
                             todo=[step_label(s) for s in missing(steps)], **facts))


# --- the reminder kind: verify at once, then chase until closed ---

async def counterfeit_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """rule R-ACC-14: unverified reports on the dated ladder of verify_due_at; verified ones
    every chase_every_days until closed. The unit's report roles act."""
    rule = policy.counterfeit
    ahead = now + timedelta(days=policy.reminders.deadline_before_days + 1)
    every = timedelta(days=rule.chase_every_days)
    unverified = await CounterfeitReport.filter(
        closed_at__isnull=True, verified_at__isnull=True, verify_due_at__lte=ahead).values_list(
        "id", "unit_id", "platform", "target", "reported_at", "verify_due_at", "steps")
    verified = await CounterfeitReport.filter(
        closed_at__isnull=True, verified_at__lte=now - every).values_list(
        "id", "unit_id", "platform", "target", "verified_at", "verify_due_at", "steps")
    items = []
    org = OrgTree()
    for row_id, unit_id, platform, target, since, due_at, steps in unverified:
        rung = reached(dated_ladder(policy, due_at, since, hours), now)
        if rung is not None:
            items.append(await _due(org, policy, row_id, unit_id, rung.stage, rung.audience,
                                    f"counterfeit:{row_id}", platform, target, due_at, steps,
                                    hours))
    for row_id, unit_id, platform, target, since, due_at, steps in verified:
        period = since + every * ((now - since) // every)  # the latest whole period
        items.append(await _due(org, policy, row_id, unit_id, "due", frozenset({"doers"}),
                                f"counterfeit:{row_id}@{stamp(period)}", platform, target,
                                due_at, steps, hours, kind="counterfeit_open"))
    return items


async def _due(org: OrgTree, policy: Policy, row_id: int, unit_id: str, stage: str,
               audience: frozenset[str], subject: str, platform: str, target: str,
               due_at: datetime, steps: dict[str, object], hours: WorkingHours,
               kind: str = "counterfeit") -> Due:
    leaders = [p.id for role in policy.counterfeit.report_roles
               for p in await org.holders(unit_id, role)]
    return Due(kind, subject, stage, audience, unit_id, people=tuple(dict.fromkeys(leaders)),
               ctx={"id": row_id, "platform": platform, "target": short(target),
                    "due": local_text(due_at, hours),
                    "todo": [step_label(s) for s in missing(steps)]})
