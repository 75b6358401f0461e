"""What an approved filing does: the registry change and its follow-up deadlines.

Runs inside the approval's transaction, so the change, its Deadline rows and the
messages about them commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import clock
from bot.errors import DomainError
from bot.ledger import Member, set_team, team_of
from bot.policy import Policy
from bot.rendering import msg
from bot.workdays import add_months, add_workdays
from handlers.common.lookup import account_label
from handlers.registry.closers import titled
from handlers.registry.filing_form import FilingForm
from models.deadlines import Deadline
from models.org import Account
from models.registry import Filing, FilingKind, FilingState, TeamMember

WEBSITE = "website"
NEW_STATUS = {FilingKind.RESUME: "normal", FilingKind.SUSPEND: "suspended",
              FilingKind.CLOSE: "closed", FilingKind.CANCEL: "cancelled",
              FilingKind.EMERGENCY: "closed"}
# what each status change may start from (closing twice is refused, R-ACC-1)
FROM_STATUS = {FilingKind.RESUME: ("suspended",), FilingKind.SUSPEND: ("normal",),
               FilingKind.CLOSE: ("normal", "suspended"),
               FilingKind.CANCEL: ("normal", "suspended", "closed"),
               FilingKind.EMERGENCY: ("normal", "suspended"),
               FilingKind.CHANGE: ("normal", "suspended", "closed")}


@dataclass(frozen=True)
class Change:
    """What a change filing touches, which decides its deadlines."""

    account: bool  # name or platform ID (账号变更)
    team: bool
    maintenance: bool  # outsourcing vendor (维护方式)
    basic: bool


def check_status(kind: FilingKind, account: Account) -> None:
    allowed = FROM_STATUS.get(kind)
    if allowed is not None and account.status not in allowed:
        raise DomainError("filing.bad_status", account=account_label(account),
                          status=msg(f"registry.status_{account.status}"),
                          kind=msg(f"filing.kind_{kind}"))


async def check_new_name(name: str, platform: str) -> None:
    if await Account.filter(name=name, platform=platform).exists():
        raise DomainError("filing.account_exists", name=name,
                          platform=msg(f"platform.{platform}"))


def end_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


async def _deadline(filing: Filing, account: Account, kind: str, rule: str, due: datetime,
                    **ctx: object) -> Deadline:
    return await Deadline.create(
        kind=kind, rule=rule, unit_id=account.unit_id,
        account=account, assignee_id=filing.filer_id,
        subject=f"filing:{filing.id}", **titled(kind, account, id=filing.id, **ctx),
        due_at=due)


def needs_notice(policy: Policy, filing: Filing) -> bool:
    """R-ACC-2: this profile announces filings of this kind (a 变更 only when it renames)."""
    return str(filing.kind) in policy.filings.announce_kinds


async def announce_deadline(policy: Policy, filing: Filing, account: Account, anchor: date,
                            tz: ZoneInfo) -> Deadline:
    """R-ACC-2: the notice goes up within N workdays of its anchor (the approval or the
    platform step, per profile). How long it stays up is recorded with the notice
    (`已公告`), never chased: it runs by itself once the notice is up."""
    due = add_workdays(anchor, policy.filings.announce_within_workdays)
    return await _deadline(filing, account, "announce", "R-ACC-2", end_of(due, tz),
                           places=policy.filings.announce_places)


def notice_end(policy: Policy, start: date) -> date:
    """R-ACC-2: the last day the notice must stay up, from the day it went up."""
    rules = policy.filings
    if rules.announcement_unit == "workdays":
        return add_workdays(start, rules.announcement_min_days)
    return start + timedelta(days=rules.announcement_min_days)


async def platform_deadline(policy: Policy, filing: Filing, account: Account, today: date,
                            tz: ZoneInfo) -> None:
    """R-ACC-3: finish the change with the platform within the profile's months."""
    due = add_months(today, policy.filings.complete_within_months)
    await _deadline(filing, account, "platform_change", "R-ACC-3", end_of(due, tz),
                    filing_kind=str(filing.kind))


async def report_deadline(policy: Policy, filing: Filing, account: Account, today: date,
                          tz: ZoneInfo) -> None:
    """R-ACC-4: changes of ID/name, team or maintenance are reported within N workdays."""
    due = add_workdays(today, policy.filings.report_change_workdays)
    await _deadline(filing, account, "report_change", "R-ACC-4", end_of(due, tz))


async def password_deadlines(filing: Filing, accounts: list[Account], leavers: list[str],
                             now: datetime) -> None:
    """R-SEC-3: when an admin leaves, each account they held changes its password at once."""
    for account in accounts:
        await Deadline.create(
            kind="password_change", rule="R-SEC-3",
            unit_id=account.unit_id, account=account,
            assignee=None, subject=f"filing:{filing.id}",
            **titled("password_change", account, names=leavers),
            due_at=now)


def merged_team(current: list[Member], given: list[Member]) -> list[Member]:
    """The roles the filing names replace those roles; the other roles stay."""
    roles = {m.role for m in given}
    return [m for m in current if m.role not in roles] + given


async def other_accounts_of(account: Account, leavers: list[str]) -> list[Account]:
    """The unit's other accounts on whose team a leaver (离任) is an admin."""
    unit_id = account.unit_id
    rows = await TeamMember.filter(account__unit_id=unit_id, role="admin", name__in=leavers) \
        .values_list("account_id", flat=True)
    m2m = await Account.filter(unit_id=unit_id, admins__name__in=leavers) \
        .values_list("id", flat=True)
    return await Account.filter(id__in=set(rows) | set(m2m)).exclude(id=account.id).order_by("id")


async def apply_change(filing: Filing, account: Account, form: FilingForm,
                       tz: ZoneInfo) -> Change:
    """变更: new values, a new name, a new team; leavers (离任) leave every team of the unit."""
    record = form.record(tz)
    if form.new_name and form.new_name != account.name:
        await check_new_name(form.new_name, account.platform)
        account.name = form.new_name
    account.update_from_dict(record.values)
    await account.save()
    before = await team_of(account)
    after = merged_team(before, record.members()) if record.team is not None else before
    after = [m for m in after if m.name not in form.leavers]
    left = {m.name for m in before if m.role == "admin"} - {m.name for m in after
                                                             if m.role == "admin"}
    if record.team is not None or form.leavers:
        await set_team(account, after)
    held = [account] if left else []
    for other in await other_accounts_of(account, form.leavers) if form.leavers else []:
        await set_team(other, [m for m in await team_of(other) if m.name not in form.leavers])
        held.append(other)
    if held:
        await password_deadlines(filing, held, sorted(left | set(form.leavers)), clock.utcnow())
    values = set(record.values)
    return Change(account=bool(form.new_name) or "platform_id" in values,
                  team=record.team is not None or bool(form.leavers),
                  maintenance=bool(values & {"vendor", "vendor_qualification"}),
                  basic=bool(values - {"platform_id"}))


async def _create(filing: Filing, form: FilingForm, today: date, tz: ZoneInfo) -> Account:
    """开设 / 补录: the account joins the registry as the filing describes it."""
    await check_new_name(filing.account_name, filing.platform)
    record = form.record(tz)
    record.values.pop("platform", None)
    if filing.kind == FilingKind.OPEN:
        record.values.setdefault("opened_on", today)
    account = await Account.create(name=filing.account_name, platform=filing.platform,
                                   unit_id=filing.unit_id,
                                   **record.values)
    if record.team is not None:
        await set_team(account, record.members())
    return account


async def _announce_at_approval(policy: Policy, filing: Filing, account: Account,
                                today: date, tz: ZoneInfo) -> None:
    """R-ACC-2: a notice anchored on the approval is due N workdays from today. One anchored
    on the platform step is due N workdays after that step: until it is recorded
    (handlers/registry/followups.py moves the date then), after the platform step's own
    last day (R-ACC-3), so a unit that does both on time is never told it is late."""
    if not needs_notice(policy, filing):
        return
    anchor = today if policy.filings.announce_anchor == "approval" \
        else add_months(today, policy.filings.complete_within_months)
    await announce_deadline(policy, filing, account, anchor, tz)


async def apply_approved(policy: Policy, filing: Filing, tz: ZoneInfo) -> Account:
    """Change the registry as the approved filing says and write its deadlines."""
    today = clock.utcnow().astimezone(tz).date()
    form = FilingForm.from_payload(filing.payload)
    if filing.kind in (FilingKind.OPEN, FilingKind.BACKFILL):
        account = await _create(filing, form, today, tz)
        if filing.kind == FilingKind.OPEN:
            await _announce_at_approval(policy, filing, account, today, tz)
            await platform_deadline(policy, filing, account, today, tz)
        return account
    account = await Account.select_for_update().get(id=filing.account_id)
    check_status(filing.kind, account)
    if filing.kind == FilingKind.CHANGE:
        change = await apply_change(filing, account, form, tz)
        if change.account:
            await _announce_at_approval(policy, filing, account, today, tz)
        if change.account or change.basic:
            await platform_deadline(policy, filing, account, today, tz)
        if change.account or change.team or change.maintenance:
            await report_deadline(policy, filing, account, today, tz)
        return account
    account.status = NEW_STATUS[filing.kind]
    await account.save(update_fields=["status"])
    if filing.kind == FilingKind.RESUME:  # nothing to announce; the platform step is done
        await back_online(account, filing)
        return account
    await _announce_at_approval(policy, filing, account, today, tz)
    await platform_deadline(policy, filing, account, today, tz)
    if filing.kind == FilingKind.SUSPEND and account.platform == WEBSITE:
        await back_online_deadline(policy, filing, account, today, tz)
    return account


async def back_online_deadline(policy: Policy, filing: Filing, account: Account,
                               today: date, tz: ZoneInfo) -> None:
    """R-WEB-1: a website taken offline is back within offline_max_days; the deadline is
    closed when a 恢复 filing is approved (back_online)."""
    days = policy.website.offline_max_days
    await _deadline(filing, account, "back_online", "R-WEB-1",
                    end_of(today + timedelta(days=days), tz), days=days)


async def offline_flags(policy: Policy, account: Account, tz: ZoneInfo) -> list[str]:
    """R-WEB-1, on a website's 暂停 filing: the limits, and how often it was down this year."""
    year_start = datetime(clock.utcnow().astimezone(tz).year, 1, 1, tzinfo=tz)
    times = await Filing.filter(account_id=account.id, kind=FilingKind.SUSPEND,
                                state=FilingState.APPROVED, decided_at__gte=year_start).count()
    rules = policy.website
    return [msg("filing.flag_offline", days=rules.offline_max_days, times=times,
                per_year=rules.offline_per_year)]


async def back_online(account: Account, filing: Filing) -> None:
    """R-WEB-1: the website is running again: its take-down deadline is met."""
    await Deadline.filter(account_id=account.id, kind="back_online", done_at__isnull=True) \
        .update(done_at=clock.utcnow(), done_by=str(filing.filer_id))
