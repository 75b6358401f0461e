"""备案: 开设 / 变更 / 暂停 / 关停 / 注销 / 补录 with approval cards, and 紧急关停 (R-ACC-1..9).

A filing waits for the unit chief, then for a supervisor of a unit above; only the
second approval changes the registry (R-ACC-1). Each decision is gated by a conditional
update on the filing's state, so of two taps exactly one wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot import clock
from bot.datefmt import local_day
from bot.dispatcher import Handler, HandlerContext, Router
from bot.errors import DomainError
from bot.events import CardUpdate, IncomingEvent
from bot.ledger import platform_code
from bot.policy import Policy
from bot.rendering import msg
from handlers.common import authz
from handlers.common.lookup import (
    MAX_ROW_ID,
    account_label,
    find_account,
    name_and_text,
    numbered_ref,
    platform_label,
)
from handlers.duty.roster import night_watch
from handlers.followups.common import clock as followup_clock
from handlers.registry.closers import close_hint, title_of
from handlers.registry.filing_cards import (
    APPROVE,
    REJECT,
    decided_card,
    filing_label,
    request_card,
    stage_title,
)
from handlers.registry.filing_effects import (
    WEBSITE,
    apply_approved,
    check_new_name,
    check_status,
    offline_flags,
)
from handlers.registry.filing_form import FilingForm, parse_form, usage_text
from handlers.registry.followups import followup_card
from handlers.registry.requirements import APP, current, gaps
from models.deadlines import Deadline
from models.org import Account, OrgTree, Person, Unit
from models.registry import Filing, FilingKind, FilingState

router = Router("filings")
PENDING = (FilingState.CHIEF, FilingState.SUPERVISOR)
KINDS = {"开设": FilingKind.OPEN, "补录": FilingKind.BACKFILL, "变更": FilingKind.CHANGE,
         "暂停": FilingKind.SUSPEND, "恢复": FilingKind.RESUME, "关停": FilingKind.CLOSE,
         "注销": FilingKind.CANCEL}
# R-ACC-6: names are Chinese words only: no letters, digits or special symbols
_NAME_OK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")


@dataclass(frozen=True)
class Stage:
    """Where a pending filing waits: the unit chief, or step N of the chain above the unit."""

    state: str
    step: int = 1
    title: str = ""  # the profile's name of a chain stage (R-ACC-1)

    @property
    def name(self) -> str:
        return stage_title(self.state, self.title)


def chain(policy: Policy) -> tuple[dict[str, Any], ...]:
    """R-ACC-1: the stages above the unit, in order (filings.approval_stages)."""
    return policy.filings.approval_stages


def stage_at(policy: Policy, state: str, step: int | None) -> Stage:
    if state != FilingState.SUPERVISOR:
        return Stage(state)
    stages = chain(policy)
    step = min(step or 1, len(stages))
    return Stage(state, step, str(stages[step - 1].get("title", "")))


async def chain_holders(unit_id: str, spec: dict[str, Any]) -> list[Person]:
    """Who decides one stage above the unit: the role's holders in the named unit, or in the
    N-th unit above that has any (up = 1 is the nearest, as OrgTree.supervisors)."""
    org = OrgTree()
    role = str(spec.get("role", "supervisor"))
    if "unit" in spec:
        return await org.holders(str(spec["unit"]), role)
    wanted, seen = int(spec.get("up", 1)), 0
    for unit in await org.ancestors(unit_id):
        found = await org.holders(unit.id, role)
        if found:
            seen += 1
            if seen == wanted:
                return found
    return []


async def _stage_holders(policy: Policy, filing: Filing, stage: Stage) -> list[Person]:
    unit = await filing.unit
    if stage.state == FilingState.CHIEF:
        return await Person.holders(unit, "chief")
    return await chain_holders(unit.id, chain(policy)[stage.step - 1])


async def _flags(ctx: HandlerContext, kind: FilingKind, target: tuple[str, str, Account | None],
                 unit_id: str, form: FilingForm) -> list[str]:
    """Rule checks shown on the card; the approvers decide (R-ACC-5, R-ACC-6, R-ACC-11..13)."""
    name, platform, account = target
    flags = []
    checked = form.new_name or (name if kind in (FilingKind.OPEN, FilingKind.BACKFILL) else "")
    if checked and not _NAME_OK.match(checked):
        flags.append(msg("filing.flag_name", name=checked))
    if kind in (FilingKind.OPEN, FilingKind.BACKFILL):
        same = await Account.filter(unit_id=unit_id, platform=platform,
                                    status__in=("normal", "suspended")).order_by("id")
        if same:
            flags.append(msg("filing.flag_second", platform=platform_label(platform),
                             accounts=[a.name for a in same]))
    if kind == FilingKind.OPEN and platform == APP:
        flags.append(await _app_flag(unit_id))
    if form.values("vendor") and not form.values("vendor_qualification"):
        flags.append(msg("filing.flag_vendor"))
    if kind in (FilingKind.OPEN, FilingKind.BACKFILL, FilingKind.CHANGE):
        will_be = (current(account) if account else {}) | form.record(ctx.settings.tz).values
        flags.extend(gaps(ctx.policy, platform, will_be))
    if kind == FilingKind.SUSPEND and account and platform == WEBSITE:
        flags.extend(await offline_flags(ctx.policy, account, ctx.settings.tz))
    return flags


def _asked(ctx: HandlerContext, kind: FilingKind) -> dict[str, list[str]]:
    """R-ACC-10: an 开设 stores the materials its profile asks for now (materials.py)."""
    if kind != FilingKind.OPEN:
        return {}
    return {"materials_asked": list(ctx.policy.accounts.opening_materials)}


async def _app_flag(unit_id: str) -> str:
    """R-ACC-12 (001 Art.12, 004 Art.11: 严禁“一单位一应用”): the apps already above the unit."""
    unit = await Unit.get(id=unit_id)
    around = [unit_id, *(u.id for u in await unit.ancestors())]
    apps = await Account.filter(unit_id__in=around, platform=APP,
                                status__in=("normal", "suspended")).order_by("id")
    return msg("filing.flag_app", accounts=[a.name for a in apps])


def _platform_of(form: FilingForm, kind: FilingKind) -> str:
    given = form.values("platform")
    if not given:
        raise DomainError("filing.platform_required", usage=usage_text(kind))
    return platform_code(given[-1])


async def _pending(**filters: object) -> None:
    filing = await Filing.filter(state__in=PENDING, **filters).first()
    if filing is not None:
        raise DomainError("filing.pending_exists", label=filing_label(filing))


async def _target(ctx: HandlerContext, kind: FilingKind, person: Person,
                  form: FilingForm) -> tuple[str, str, Account | None]:
    """The account name and platform a filing is about, checked against the registry."""
    assert ctx.command is not None
    if kind in (FilingKind.OPEN, FilingKind.BACKFILL):
        await authz.check(ctx, ctx.command.name, None, account=ctx.command.args)
        name, platform = ctx.command.args, _platform_of(form, kind)
        await check_new_name(name, platform)
        await _pending(account_name=name, platform=platform)
        return name, platform, None
    account = await find_account(ctx.command.args)
    await authz.check(ctx, ctx.command.name, account.unit_id,
                      account=account_label(account))
    check_status(kind, account)
    await _pending(account_id=account.id)
    if kind == FilingKind.CHANGE and not (form.fields or form.new_name or form.leavers):
        raise DomainError("filing.nothing_to_change", usage=usage_text(kind))
    return account.name, account.platform, account


async def _file(ctx: HandlerContext, kind: FilingKind) -> None:
    person = ctx.require_person()
    assert ctx.command is not None
    if not ctx.command.args:
        raise DomainError("filing.usage", usage=usage_text(kind))
    form = parse_form(kind, ctx.command.lines, ctx.settings.tz)
    name, platform, account = await _target(ctx, kind, person, form)
    unit = await person.unit
    unit_id = unit.id
    all_chiefs = await Person.holders(unit, "chief")
    if not all_chiefs:
        raise DomainError("filing.no_approver", role=msg("role.chief"))
    # R-ACC-1: every stage of the chain above the unit has someone to decide it
    above: list[list[Person]] = []
    for i, spec in enumerate(chain(ctx.policy), start=1):
        holders = [s for s in await chain_holders(unit_id, spec) if s.id != person.id]
        if not holders:
            raise DomainError("filing.no_approver",
                              role=stage_at(ctx.policy, FilingState.SUPERVISOR, i).name)
        above.append(holders)
    supervisors = above[0]
    # nobody approves a filing they filed (R-REV-3's spirit, authz.toml's deny "filer"):
    # a chief's own filing goes straight to the supervisors when no other chief can decide
    chiefs = [c for c in all_chiefs if c.id != person.id]
    stage = FilingState.CHIEF if chiefs else FilingState.SUPERVISOR
    filing = await Filing.create(
        kind=kind, unit_id=unit_id, account=account, account_name=name, platform=platform,
        filer=person, state=stage, step=1,
        payload=form.payload() | _asked(ctx, kind),
        flags=await _flags(ctx, kind, (name, platform, account), unit_id, form))
    await ctx.audit("filing.submitted", f"filing:{filing.id}", kind=str(kind), account=name,
                    platform=platform, payload=filing.payload, flags=filing.flags,
                    stage=str(stage))
    deciders = chiefs or supervisors
    at = stage_at(ctx.policy, stage, 1)
    for decider in deciders:
        await ctx.notify(decider.id, await request_card(filing, stage, ctx.settings.tz,
                                                        1, at.title))
    await ctx.reply(ctx.text("filing.submitted", label=filing_label(filing),
                             names=[c.name for c in deciders], flags=filing.flags,
                             own_chief=not chiefs))


def _filing_command(word: str, kind: FilingKind) -> Handler:
    async def on_filing(event: IncomingEvent, ctx: HandlerContext) -> None:
        await _file(ctx, kind)
    on_filing.__doc__ = f"`{word} <账号名>` + `字段：值` lines: a {kind} filing for approval."
    return on_filing


for _word, _kind in KINDS.items():
    router.command(_word)(_filing_command(_word, _kind))


async def _may_decide(ctx: HandlerContext, action: str, filing: Filing, stage: Stage) -> None:
    """The table's row for the stage; never the filer (authz.toml deny "filer"); above the
    unit, only the holders of this stage of the chain (R-ACC-1)."""
    person = ctx.require_person()
    ties = {"filer"} if filing.filer_id == person.id else set()
    await authz.check(ctx, action, filing.unit_id, relations=ties,
                      stage=stage.state, label=filing_label(filing), stage_name=stage.name)
    if person.id not in {p.id for p in await _stage_holders(ctx.policy, filing, stage)}:
        raise DomainError("filing.not_approver", label=filing_label(filing),
                          stage_name=stage.name)


def _next(policy: Policy, stage: Stage, approve: bool) -> tuple[str, int]:
    """R-ACC-1: the chief, then each stage above in order; the registry changes after the
    last one."""
    if not approve:
        return FilingState.REJECTED, stage.step
    if stage.state == FilingState.CHIEF:
        return FilingState.SUPERVISOR, 1
    if stage.step < len(chain(policy)):
        return FilingState.SUPERVISOR, stage.step + 1
    return FilingState.APPROVED, stage.step


async def _decide(ctx: HandlerContext, action: str, filing_id: int, tapped: Stage | None,
                  approve: bool, comment: str) -> Filing:
    """Decide the stage the filing waits at (or the tapped card's stage, if still open)."""
    person = ctx.require_person()
    filing = await Filing.select_for_update().get_or_none(id=filing_id) \
        if 0 < filing_id <= MAX_ROW_ID else None
    if filing is None:
        raise DomainError("filing.no_such_filing", id=filing_id)
    if tapped is None:
        if filing.state not in PENDING:
            raise DomainError("filing.not_pending", label=filing_label(filing),
                              state=msg(f"filing.state_{filing.state}"))
        stage = stage_at(ctx.policy, filing.state, filing.step)
    else:
        stage = stage_at(ctx.policy, tapped.state, tapped.step)
    await _may_decide(ctx, action, filing, stage)
    deciders = await _stage_holders(ctx.policy, filing, stage)
    after, step = _next(ctx.policy, stage, approve)
    # the conditional update is the gate: of two racing decisions exactly one matches
    won = await Filing.filter(id=filing.id, state=stage.state, step=stage.step) \
        .update(state=after, step=step)
    if won != 1:
        raise DomainError("filing.stale_card")
    now = clock.utcnow()
    filing.state, filing.step = FilingState(after), step
    filing.approvals = [*filing.approvals, {"stage": stage.state, "step": stage.step,
                                            "title": stage.title, "person": person.id,
                                            "name": person.name, "comment": comment,
                                            "decision": "approve" if approve else "reject",
                                            "at": now.isoformat()}]
    if after != FilingState.SUPERVISOR:
        filing.decided_at = now
    await filing.save(update_fields=["approvals", "decided_at"])
    await ctx.audit(f"filing.{'approved' if approve else 'rejected'}", f"filing:{filing.id}",
                    stage=stage.state, step=stage.step, title=stage.title, comment=comment)
    card = CardUpdate(await decided_card(filing, stage.state, ctx.settings.tz, stage.step,
                                         stage.title))
    for decider in deciders:
        await ctx.notify(decider.id, card)
    await _after(ctx, filing, stage, approve, comment)
    return filing


async def _after(ctx: HandlerContext, filing: Filing, stage: Stage, approve: bool,
                 comment: str) -> None:
    tz = ctx.settings.tz
    filer_id = filing.filer_id
    assert filer_id is not None  # only the bot's own 补录 records have no filer; never pending
    if not approve:
        await ctx.say(filer_id, ctx.text("filing.rejected", label=filing_label(filing),
                                         stage=stage.name, reason=comment))
    elif filing.state == FilingState.SUPERVISOR:
        up = stage_at(ctx.policy, FilingState.SUPERVISOR, filing.step)
        holders = await _stage_holders(ctx.policy, filing, up)
        for holder in holders:
            await ctx.notify(holder.id, await request_card(filing, FilingState.SUPERVISOR, tz,
                                                           up.step, up.title))
        await ctx.say(filer_id, ctx.text("filing.forwarded", label=filing_label(filing),
                                         done=stage.name, stage=up.name,
                                         names=[s.name for s in holders]))
    else:
        account = await apply_approved(ctx.policy, filing, tz)
        filing.account = account
        await filing.save(update_fields=["account_id"])
        await ctx.audit("registry.changed", f"account:{account.id}", filing=filing.id,
                        kind=str(filing.kind), status=account.status, name=account.name)
        deadlines = await Deadline.filter(subject=f"filing:{filing.id}").order_by("due_at", "id")
        text = ctx.text("filing.approved", label=filing_label(filing),
                        deadlines=[{"title": title_of(d),
                                    "due": local_day(d.due_at, tz),
                                    "close": close_hint(d.kind, d.subject, account.name)}
                                   for d in deadlines])
        for person_id in dict.fromkeys([filer_id, filing.approvals[0]["person"]]):
            await ctx.say(person_id, text)
        card = await followup_card(filing, tz)
        if card is not None and card.buttons:  # the steps a tap records (R-ACC-3, R-ACC-4)
            await ctx.say(filer_id, card)


@router.command("同意备案")
async def on_approve_text(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`同意备案 #N [意见]`: the same as tapping 同意 on the filing card."""
    filing_id, comment = numbered_ref(ctx, "filing.approve_usage", as_written=True)
    filing = await _decide(ctx, "同意备案", filing_id, None, True, comment)
    await ctx.reply(ctx.text("filing.decided_approve", label=filing_label(filing)))


@router.command("退回备案")
async def on_reject_text(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`退回备案 #N 理由`: return the filing to its filer; nothing on the registry changes."""
    filing_id, reason = numbered_ref(ctx, "filing.reject_usage", as_written=True)
    if not reason:
        raise DomainError("filing.reject_needs_reason", id=filing_id)
    filing = await _decide(ctx, "退回备案", filing_id, None, False, reason)
    await ctx.reply(ctx.text("filing.decided_reject", label=filing_label(filing)))


def _card_args(ctx: HandlerContext) -> tuple[int, Stage]:
    """(filing, stage[, step]): cards above the chain's first stage carry their step."""
    args = ctx.args
    if len(args) not in (2, 3) or not args[0].isdigit() or args[1] not in PENDING \
            or (len(args) == 3 and not args[2].isdigit()):
        raise DomainError("filing.stale_card")
    return int(args[0]), Stage(args[1], int(args[2]) if len(args) == 3 else 1)


@router.action(APPROVE)
async def on_approve_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Tap on 同意: approve the stage the card was sent for, if it is still open."""
    filing_id, stage = _card_args(ctx)
    await _decide(ctx, f"card:{APPROVE}", filing_id, stage, True, "")


@router.action(REJECT)
async def on_reject_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Tap on 退回: a return needs a reason, so ask for it as `退回备案 #N 理由`."""
    filing_id, tapped = _card_args(ctx)
    filing = await Filing.get_or_none(id=filing_id)
    if filing is None or (filing.state, filing.step) != (tapped.state, tapped.step):
        raise DomainError("filing.stale_card")
    await _may_decide(ctx, f"card:{REJECT}", filing, stage_at(ctx.policy, tapped.state,
                                                               tapped.step))
    await ctx.reply(ctx.text("filing.reject_ask_reason", id=filing.id))


@router.command("紧急关停")
async def on_emergency(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`紧急关停 <账号> <原因>`: closed at once and reported up the chain (R-ACC-9)."""
    person = ctx.require_person()
    name, reason = name_and_text(ctx, "filing.emergency_usage")
    account = await find_account(name)
    unit_id = account.unit_id
    # rule R-ACC-9: the account's admins, the unit's chief and the supervisors above only
    await authz.check_account(ctx, "紧急关停", account)
    check_status(FilingKind.EMERGENCY, account)
    account.status = "closed"
    await account.save(update_fields=["status"])
    filing = await Filing.create(kind=FilingKind.EMERGENCY, state=FilingState.APPROVED,
                                 unit_id=unit_id, account=account, account_name=account.name,
                                 platform=account.platform, filer=person,
                                 payload={"reason": reason}, decided_at=clock.utcnow())
    await ctx.audit("filing.emergency", f"filing:{filing.id}", account=account.id, reason=reason)
    text = ctx.text("filing.emergency_report", account=account_label(account),
                    name=person.name, reason=reason, id=filing.id)
    roles = ctx.policy.filings.emergency_report_roles  # rule R-ACC-9
    chain = [p.id for p in await _chain(roles, unit_id)]
    # rule R-DUT-1: outside working hours whoever is on duty here and above hears it too
    chain += await night_watch(unit_id, event.received_at, followup_clock(ctx))
    for other in dict.fromkeys(chain):
        if other != person.id:
            await ctx.notify(other, text)
    await ctx.reply(ctx.text("filing.emergency_done", account=account_label(account),
                             id=filing.id, roles=[msg(f"role.{r}") for r in roles]))


async def _chain(roles: tuple[str, ...], unit_id: str) -> list[Person]:
    """R-ACC-9 逐级报备: the unit's leaders, then the supervisors of every unit above."""
    org = OrgTree()
    people = [p for role in roles for p in await org.holders(unit_id, role)]
    people += await org.overseers(unit_id)
    return list({p.id: p for p in people}.values())

