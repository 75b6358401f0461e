"""Registry queries: `查询 <账号名>`, `我的账号`, `台账 [单位]` (R-ACC-8, R-UPD-1/2, R-SEC-1).

Phone numbers of the team are shown only to the unit's own staff and its supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot import clock
from bot.datefmt import local_day
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingText
from bot.ledger import COLUMNS, cell, content_label, status_label, team_of
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.rendering import msg
from bot.workdays import add_months
from handlers.common import authz
from handlers.common.lookup import account_label, find_account
from handlers.registry.access import find_unit, sees_phones
from handlers.registry.closers import close_hint, title_of
from handlers.registry.filing_cards import filing_label
from handlers.registry.followups import notices_of
from handlers.registry.requirements import current, gaps
from handlers.reminders.updates import rule_of, this_week
from models.deadlines import Deadline
from models.org import SUPERVISOR, Account, Person, Unit
from models.registry import Filing, FilingState
from models.review import Draft, DraftState

router = Router("accounts")
LIMIT = 200
# the form's fields shown by 查询 besides status, unit and team
_DETAIL = ("platform_id", "platform_note", "organizer", "opened_on", "certified", "news_licence",
           "intro", "url", "vendor", "vendor_qualification", "vendor_agreement_on", "menus",
           "ipv6", "elderly_friendly", "accessible", "followers")


@dataclass(frozen=True)
class Freshness:
    days: int | None  # since the last update; None: never recorded
    limit: int
    limited: bool = False  # R-UPD-3: the platform limits posting, the gap is its own


def _today(tz: ZoneInfo) -> date:
    return clock.utcnow().astimezone(tz).date()


def freshness(policy: Policy, account: Account, tz: ZoneInfo) -> Freshness:
    """R-UPD-1 (text) / R-UPD-2 (video) / R-UPD-3 (platform limits posting): days since the
    last update against the account's limit."""
    rule = rule_of(policy, account)
    if account.last_update_at is None:
        return Freshness(None, rule.gap_days, rule.limited)
    days = (_today(tz) - account.last_update_at.astimezone(tz).date()).days
    return Freshness(days, rule.gap_days, rule.limited)


def password_days(policy: Policy, account: Account, tz: ZoneInfo) -> int | None:
    """R-SEC-1: days until the next password change is due (negative: overdue)."""
    if account.password_changed_at is None:
        return None
    changed = account.password_changed_at.astimezone(tz).date()
    return (add_months(changed, policy.security.password_max_age_months) - _today(tz)).days


async def _week_line(ctx: HandlerContext, account: Account) -> str:
    """rule R-UPD-3: this week's count in the seed's terms, where the profile counts weeks."""
    rem = ctx.policy.reminders
    hours = WorkingHours.of(rem.work_start, rem.work_end, ctx.settings.tz)
    week = await this_week(ctx.policy, account, clock.utcnow(), hours)
    if week is None:
        return ""
    return msg("updates.week_line", count=week.count, minimum=week.minimum,
               left=week.left_days)


async def _team(account: Account, phones: bool) -> list[dict[str, str]]:
    return [{"role": msg(f"registry.team_{m.role}"), "text": m.text(phones=phones)}
            for m in await team_of(account)]


@router.command("查询")
async def on_query(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`查询 <账号名>`: status, freshness, password, drafts, filings and deadlines."""
    person = ctx.require_person()
    assert ctx.command is not None
    if not ctx.command.args:
        raise DomainError("registry.query_usage")
    account = await find_account(ctx.command.args)
    tz = ctx.settings.tz
    unit = await Unit.get(id=account.unit_id)
    phones = await sees_phones(person, unit.id)
    await authz.check(ctx, "查询", unit.id)
    # rule R-REV-5: the titles of drafts in review only for the unit, its supervisors, admins
    drafts = await Draft.filter(account_id=account.id,
                                state__in=(DraftState.REVIEWING, DraftState.APPROVED)) \
        .order_by("id") if await authz.permits_account(person, "查询:稿件", account) else []
    filings = await Filing.filter(account_id=account.id,
                                  state__in=(FilingState.CHIEF, FilingState.SUPERVISOR))
    deadlines = await Deadline.filter(account_id=account.id, done_at__isnull=True) \
        .order_by("due_at", "id")
    details = [(c.label, cell(account, c, unit.name, [], tz)) for c in COLUMNS
               if c.key in _DETAIL]
    text = ctx.render(
        "text/account_info.md.j2", account=account_label(account), unit=unit.name,
        status=status_label(account.status), content=content_label(account.content),
        details=[d for d in details if d[1]], fresh=freshness(ctx.policy, account, tz),
        week=await _week_line(ctx, account),
        password=password_days(ctx.policy, account, tz), team=await _team(account, phones),
        phones=phones, gaps=gaps(ctx.policy, account.platform, current(account)),
        drafts=[{"id": d.id, "title": d.title, "state": ctx.text(f"state.{d.state}").text}
                for d in drafts],
        filings=[{"label": filing_label(f), "stage": ctx.text(f"filing.stage_{f.state}").text}
                 for f in filings],
        deadlines=[{"title": title_of(d), "due": local_day(d.due_at, tz),
                    "rule": d.rule, "close": close_hint(d.kind, d.subject, account.name)}
                   for d in deadlines],
        notices=await notices_of(account, _today(tz)))
    await ctx.reply(OutgoingText(text, markdown=True))


async def _rows(ctx: HandlerContext, person: Person, accounts: list[Account]) -> list[Any]:
    tz = ctx.settings.tz
    units = {u.id: u.name for u in await Unit.all()}
    visible: dict[str, bool] = {}
    rows = []
    for account in accounts:
        unit_id = account.unit_id
        if unit_id not in visible:
            visible[unit_id] = await sees_phones(person, unit_id)
        admins = [m for m in await team_of(account) if m.role == "admin"]
        rows.append({"account": account_label(account), "unit": units[unit_id],
                     "status": status_label(account.status),
                     "fresh": freshness(ctx.policy, account, tz),
                     "admins": [m.text(phones=visible[unit_id]) for m in admins]})
    return rows


@router.command("我的账号")
async def on_mine(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`我的账号`: the accounts I administer."""
    person = await authz.check(ctx, "我的账号", None)
    accounts = await person.admin_of.all().order_by("id").limit(LIMIT)
    text = ctx.render("text/ledger.md.j2", title=ctx.text("registry.mine_title").text,
                      rows=await _rows(ctx, person, accounts), limit=LIMIT)
    await ctx.reply(OutgoingText(text, markdown=True))


@router.command("台账")
async def on_ledger(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`台账 [单位]`: a unit's accounts; a supervisor's own 台账 spans every unit below."""
    person = ctx.require_person()
    assert ctx.command is not None
    own = person.unit_id
    if ctx.command.args:
        unit = await find_unit(ctx.command.args)
        await authz.check(ctx, "台账", unit.id, unit=unit.name)
        unit_ids = [unit.id]
    else:
        unit = await Unit.get(id=own)
        below = await unit.descendants(active=None) if person.has_role(SUPERVISOR) else []
        unit_ids = [own, *(u.id for u in below)]
    accounts = await Account.filter(unit_id__in=unit_ids).order_by("unit_id", "id").limit(LIMIT)
    text = ctx.render("text/ledger.md.j2",
                      title=ctx.text("registry.ledger_title", unit=unit.name,
                                     below=len(unit_ids) > 1).text,
                      rows=await _rows(ctx, person, accounts), limit=LIMIT)
    await ctx.reply(OutgoingText(text, markdown=True))
