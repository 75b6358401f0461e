"""Recording a filing's follow-ups done (R-ACC-2, R-ACC-3, R-ACC-4, R-SEC-3).

An approved filing leaves dated follow-ups (Deadline rows, handlers/registry/filing_effects.py).
Each closes with one chat command that records its evidence, and nothing recorded is ever
reminded of again (the reminder scan only reads open rows):

- `已公告 #N 网址 [网址…] [日期]`: the notice went up (R-ACC-2): one URL per place the profile
  names (announce_places), the day it went up (today unless given). The notice period
  (start, end, where) is kept with it and shown by `查询`; it is never chased.
- `已操作 #N [日期]`: the change was made on the platform (R-ACC-3). A notice anchored on the
  platform step (announce_anchor = "platform") is due N workdays from that day.
- `已报备 #N [日期] [说明]`: the report went up to the supervising unit (R-ACC-4).
- R-SEC-3's password task closes with `已改密 账号名` (handlers/registry/passwords.py).

The filing card's follow-up buttons (平台已操作 / 已报备) do the same as the last two.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date

from tortoise.expressions import Q

from bot import clock
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import Button, IncomingEvent, OutgoingCard, button_key
from bot.ledger import parse_date
from bot.parsing import is_web_url
from bot.policy import Policy
from bot.rendering import msg
from bot.workdays import add_workdays
from handlers.common import authz
from handlers.common.lookup import account_label
from handlers.registry.closers import CLOSERS, close_hint, title_of
from handlers.registry.filing_cards import filing_label
from handlers.registry.filing_effects import end_of, notice_end
from models.deadlines import Deadline
from models.org import Account, Person
from models.registry import Filing, FilingState

router = Router("filing_followups")
DONE = "filing_done"  # card button: (filing id, deadline kind)
LIMIT = 30
BUTTONS = ("platform_change", "report_change")  # closed without evidence: a tap will do
_REF = re.compile(r"^#?\s*(\d+)(?:\s+(.*))?$", re.S)
_DATE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$")


@dataclass(frozen=True)
class Given:
    filing: Filing
    urls: list[str]
    day: date
    note: str


def _parse(ctx: HandlerContext, usage: str) -> tuple[int, list[str], str]:
    assert ctx.command is not None
    match = _REF.match(unicodedata.normalize("NFKC", ctx.command.args).strip())
    if not match:
        raise DomainError(usage)
    words = " ".join([match[2] or "", *ctx.command.lines]).split()
    return int(match[1]), words, usage


async def _given(ctx: HandlerContext, usage: str, *, urls: bool) -> Given:
    """The filing named, the URLs, the day (today, not in the future) and the rest."""
    assert ctx.command is not None
    number, words, usage = _parse(ctx, usage)
    filing = await Filing.get_or_none(id=number)
    if filing is None:
        raise DomainError("filing.no_such_filing", id=number)
    await _check_may_record(ctx, ctx.command.name, filing)
    today = clock.utcnow().astimezone(ctx.settings.tz).date()
    day, found, rest = today, list[str](), list[str]()
    for word in words:
        if urls and is_web_url(word):
            found.append(word)
        elif _DATE.match(word) and day == today and not rest:
            day = parse_date(word)
        else:
            rest.append(word)
    if day > today:
        raise DomainError("followup.future_day", day=day.isoformat())
    decided = filing.decided_at.astimezone(ctx.settings.tz).date() if filing.decided_at else today
    if day < decided:
        raise DomainError("followup.before_approval", day=day.isoformat(),
                          approved=decided.isoformat(), label=filing_label(filing))
    return Given(filing, found, day, " ".join(rest))


async def _check_may_record(ctx: HandlerContext, action: str, filing: Filing) -> None:
    """The filing's own unit records its follow-ups; a supervisor above it may too
    (handlers/common/authz.toml)."""
    person = ctx.require_person()
    ties = {"filer"} if filing.filer_id == person.id else set()
    await authz.check(ctx, action, filing.unit_id, relations=ties,
                      label=filing_label(filing))
    if filing.state != FilingState.APPROVED:
        raise DomainError("followup.not_approved", label=filing_label(filing),
                          state=msg(f"filing.state_{filing.state}"))


async def _open(filing: Filing, kinds: tuple[str, ...]) -> list[Deadline]:
    return await Deadline.filter(subject=f"filing:{filing.id}", kind__in=kinds,
                                 done_at__isnull=True).order_by("id")


async def _nothing_open(filing: Filing, kind: str) -> DomainError:
    """Why there is nothing to record: done already (when, by whom), or never asked."""
    done = await Deadline.filter(subject=f"filing:{filing.id}", kind=kind,
                                 done_at__isnull=False).order_by("-id").first()
    if done is not None:
        return DomainError("followup.already", label=filing_label(filing),
                           what=msg(f"followup.what_{kind}"),
                           day=(done.evidence or {}).get("day", ""))
    return DomainError("followup.not_needed", label=filing_label(filing),
                       what=msg(f"followup.what_{kind}"))


async def _close(row: Deadline, person: Person, evidence: dict[str, object]) -> bool:
    """Close one open row; False when another message closed it first."""
    won = await Deadline.filter(id=row.id, done_at__isnull=True).update(
        done_at=clock.utcnow(), done_by=person.id, evidence=evidence)
    return won == 1


@router.command("已公告")
async def on_announced(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已公告 #N 网址 [网址…] [日期]`: the filing's notice is up (R-ACC-2)."""
    person = ctx.require_person()
    given = await _given(ctx, "followup.announce_usage", urls=True)
    rules = ctx.policy.filings
    places = list(rules.announce_places)
    rows = await _open(given.filing, ("announce",))
    if not rows:
        raise await _nothing_open(given.filing, "announce")
    if len(given.urls) < len(places):
        raise DomainError("followup.announce_places", label=filing_label(given.filing),
                          places=places, count=len(places),
                          id=given.filing.id)
    end = notice_end(ctx.policy, given.day)
    where = dict(zip(places, given.urls, strict=False))
    extra = given.urls[len(places):]
    evidence = {"day": given.day.isoformat(), "start": given.day.isoformat(),
                "end": end.isoformat(), "places": places, "urls": given.urls,
                "min": rules.announcement_min_days, "unit": rules.announcement_unit,
                "note": given.note}
    if not await _close(rows[0], person, evidence):
        raise await _nothing_open(given.filing, "announce")
    await ctx.audit("filing.announced", f"filing:{given.filing.id}", deadline=rows[0].id,
                    **evidence)
    late = rows[0].due_at < end_of(given.day, ctx.settings.tz)
    await ctx.reply(ctx.text(
        "followup.announced", label=filing_label(given.filing), day=given.day.isoformat(),
        where=[{"place": p, "url": u} for p, u in where.items()], extra=extra,
        end=end.isoformat(), min=rules.announcement_min_days,
        unit=msg(f"filing.unit_{rules.announcement_unit}"), late=late,
        due=rows[0].due_at.astimezone(ctx.settings.tz).date().isoformat()))


async def _record_dated(ctx: HandlerContext, person: Person, filing: Filing, kind: str,
                        action: str, day: date, note: str) -> None:
    """Close the filing's open deadline of this kind with the day it was done, and audit it."""
    rows = await _open(filing, (kind,))
    if not rows or not await _close(rows[0], person, {"day": day.isoformat(), "note": note}):
        raise await _nothing_open(filing, kind)
    await ctx.audit(action, f"filing:{filing.id}", deadline=rows[0].id, day=day.isoformat(),
                    note=note)


async def record_platform(ctx: HandlerContext, person: Person, filing: Filing,
                          day: date, note: str) -> str:
    """R-ACC-3: the change is made on the platform; a notice anchored on it is dated now."""
    await _record_dated(ctx, person, filing, "platform_change", "filing.platform_done", day, note)
    notice = ""
    rules = ctx.policy.filings
    if rules.announce_anchor == "platform":  # rule R-ACC-2: counted from the change itself
        for row in await _open(filing, ("announce",)):
            due = add_workdays(day, rules.announce_within_workdays)
            # in UTC: a bulk update does not convert an aware time the way a save does (MySQL)
            await Deadline.filter(id=row.id).update(
                due_at=end_of(due, ctx.settings.tz).astimezone(UTC))
            notice = msg("followup.notice_due", due=due.isoformat(),
                         days=rules.announce_within_workdays,
                         places=rules.announce_places, id=filing.id)
    return ctx.text("followup.platform_done", label=filing_label(filing),
                    day=day.isoformat(), notice=notice).text


async def record_report(ctx: HandlerContext, person: Person, filing: Filing,
                        day: date, note: str) -> str:
    """R-ACC-4: the change was reported up to the supervising unit."""
    await _record_dated(ctx, person, filing, "report_change", "filing.reported", day, note)
    return ctx.text("followup.reported", label=filing_label(filing), day=day.isoformat()).text


@router.command("已操作")
async def on_platform_done(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已操作 #N [日期] [说明]`: the filing's change is made on the platform (R-ACC-3)."""
    given = await _given(ctx, "followup.platform_usage", urls=False)
    text = await record_platform(ctx, ctx.require_person(), given.filing, given.day, given.note)
    await ctx.reply(ctx.text("followup.plain", text=text))


@router.command("已报备")
async def on_reported(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已报备 #N [日期] [说明]`: the change is reported to the supervising unit (R-ACC-4)."""
    given = await _given(ctx, "followup.report_usage", urls=False)
    text = await record_report(ctx, ctx.require_person(), given.filing, given.day, given.note)
    await ctx.reply(ctx.text("followup.plain", text=text))


@router.action(DONE)
async def on_done_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """A tap on the follow-up card's 平台已操作 / 已报备: recorded today."""
    person = ctx.require_person()
    if len(ctx.args) != 2 or not ctx.args[0].isdigit() or ctx.args[1] not in BUTTONS:
        raise DomainError("filing.stale_card")
    filing = await Filing.get_or_none(id=int(ctx.args[0]))
    if filing is None:
        raise DomainError("filing.stale_card")
    await _check_may_record(ctx, f"card:{DONE}", filing)
    today = clock.utcnow().astimezone(ctx.settings.tz).date()
    record = record_platform if ctx.args[1] == "platform_change" else record_report
    await ctx.reply(ctx.text("followup.plain",
                             text=await record(ctx, person, filing, today, "")))


async def followup_card(filing: Filing, tz: object) -> OutgoingCard | None:
    """The approved filing's follow-ups as a card with a button for each one a tap closes."""
    rows = await Deadline.filter(subject=f"filing:{filing.id}", done_at__isnull=True) \
        .order_by("due_at", "id")
    if not rows:
        return None
    lines = [msg("followup.card_line", title=title_of(r),
                 due=r.due_at.astimezone(tz).date().isoformat(),  # type: ignore[arg-type]
                 close=close_hint(r.kind, r.subject)) for r in rows]
    buttons = tuple(Button(button_key(DONE, filing.id, r.kind), msg(f"followup.button_{r.kind}"),
                           "primary") for r in rows if r.kind in BUTTONS)
    return OutgoingCard(title=msg("followup.card_title", label=filing_label(filing)),
                        body_md="\n".join(lines), card_ref=f"filing-{filing.id}-followups",
                        fields=(), buttons=buttons)


# --- what 待办 and 查询 list ---

async def _doer_accounts(policy: Policy, person: Person) -> list[int]:
    from handlers.followups.todo import _doer_accounts as doer_accounts
    return await doer_accounts(policy, person)


async def open_for(policy: Policy, person: Person, tz: object) -> list[dict[str, object]]:
    """Open filing follow-ups this person acts on: theirs by name, or of accounts they act
    for (admin, or a doer of a unit whose account has no admin), each with its command."""
    accounts = await _doer_accounts(policy, person)
    query = Q(assignee_id=person.id) | Q(account_id__in=accounts or [0], assignee_id=None)
    rows = await Deadline.filter(query, done_at__isnull=True, kind__in=tuple(CLOSERS)) \
        .order_by("due_at", "id").limit(LIMIT).prefetch_related("account")
    return [item(r, tz) for r in rows]


def item(row: Deadline, tz: object) -> dict[str, object]:
    account = account_label(row.account) if row.account else ""
    name = row.account.name if row.account else ""
    return {"title": title_of(row), "rule": row.rule, "account": account,
            "due": row.due_at.astimezone(tz).date().isoformat(),  # type: ignore[arg-type]
            "close": close_hint(row.kind, row.subject, name)}


async def notices_of(account: Account, today: date) -> list[dict[str, object]]:
    """R-ACC-2: the account's recorded notices whose period has not ended (start, end, where)."""
    rows = await Deadline.filter(account_id=account.id, kind="announce",
                                 done_at__isnull=False).order_by("-id").limit(LIMIT)
    found = []
    for row in rows:
        ev = row.evidence or {}
        if ev.get("end") and date.fromisoformat(str(ev["end"])) >= today:
            found.append({"id": row.subject.split(":", 1)[-1], "start": ev.get("start"),
                          "end": ev.get("end"),
                          "where": list(zip(ev.get("places", []), ev.get("urls", []),
                                            strict=False))})
    return found
