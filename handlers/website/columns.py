"""Website columns (rule R-UPD-4): each column of a government website is chased on its
kind's update interval (home news weekly, 动态/要闻 ≤14 days, 通知/公告/政策 ≤3 months, fixed
pages yearly: the profile's [website] section).

`栏目 <网站名>` lists the columns; `栏目 <网站名> <栏目名> <类别>` adds one (or changes its
kind), `栏目 <网站名> <栏目名> 停用` retires it; `栏目更新 <网站名> <栏目名> [日期]` records
an update. The website is an account on the registry whose platform is 网站.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.dispatcher import HandlerContext, Router, normalize
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingText
from bot.policy import Policy
from bot.reminders.hours import WorkingHours
from bot.rendering import msg
from handlers.common.days import parse_day
from handlers.common.lookup import account_label, find_account
from handlers.followups.access import allow
from handlers.followups.common import clock, is_admin, label_of, today
from handlers.reminders.kinds import (
    DOERS,
    LEADERS,
    Due,
    add_months,
    ladder,
    local_date,
    reached,
    stamp,
)
from models.org import Account
from models.website import ColumnKind, WebsiteColumn

router = Router("website")
WEBSITE = "website"
KIND_WORDS = {"首页": ColumnKind.HOME, "主页": ColumnKind.HOME, "首页消息": ColumnKind.HOME,
              "动态": ColumnKind.NEWS, "要闻": ColumnKind.NEWS, "工作信息": ColumnKind.NEWS,
              "动态要闻": ColumnKind.NEWS, "通知": ColumnKind.NOTICE, "公告": ColumnKind.NOTICE,
              "政策": ColumnKind.NOTICE, "政策文件": ColumnKind.NOTICE,
              "通知公告": ColumnKind.NOTICE, "固定": ColumnKind.FIXED,
              "概况": ColumnKind.FIXED, "固定内容": ColumnKind.FIXED}
RETIRE = ("停用", "删除")


def due_at(policy: Policy, kind: ColumnKind, since: datetime) -> datetime:
    """rule R-UPD-4: when a column updated at `since` must be updated again."""
    site = policy.website
    if kind is ColumnKind.HOME:
        return since + timedelta(days=site.home_days)
    if kind is ColumnKind.NEWS:
        return since + timedelta(days=site.news_days)
    months = site.notice_months if kind is ColumnKind.NOTICE else site.fixed_months
    return add_months(since, months)


def limit_text(policy: Policy, kind: ColumnKind) -> str:
    site = policy.website
    return msg(f"website.limit_{kind}", days={ColumnKind.HOME: site.home_days,
                                              ColumnKind.NEWS: site.news_days}.get(kind, 0),
               months={ColumnKind.NOTICE: site.notice_months,
                       ColumnKind.FIXED: site.fixed_months}.get(kind, 0))


async def _site(ctx: HandlerContext, name: str, row: str) -> Account:
    account = await find_account(name)
    if account.platform != WEBSITE:
        raise DomainError("website.not_website", account=account_label(account))
    person = ctx.require_person()
    relations = {"admin"} if await is_admin(person, account) else set()
    await allow(ctx, row, account.unit_id, relations=relations,
                account=account_label(account))
    return account


@router.command("栏目")
async def on_columns(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`栏目 <网站名> [栏目名 类别|停用]`: a website's columns (rule R-UPD-4)."""
    assert ctx.command is not None
    name, *rest = ctx.command.args.split(" ")
    if not name:
        raise DomainError("website.usage")
    site = await _site(ctx, name, "栏目")
    if not rest:
        await _list(ctx, site, event.received_at)
        return
    if len(rest) != 2:
        raise DomainError("website.usage")
    column, word = rest
    if normalize(word) in RETIRE:
        changed = await WebsiteColumn.filter(account_id=site.id, name=column, active=True) \
            .update(active=False)
        if not changed:
            raise DomainError("website.unknown_column", site=site.name, column=column)
        await ctx.audit("website.column_retired", f"account:{site.id}", column=column)
        await ctx.reply(ctx.text("website.retired", site=site.name, column=column))
        return
    kind = KIND_WORDS.get(normalize(word))
    if kind is None:
        raise DomainError("website.usage")
    known = await WebsiteColumn.filter(account_id=site.id, name=column).update(kind=kind,
                                                                              active=True)
    if not known:
        await WebsiteColumn.create(account=site, name=column, kind=kind,
                                   created_at=event.received_at)
    await ctx.audit("website.column_set", f"account:{site.id}", column=column, kind=str(kind))
    await ctx.reply(ctx.text("website.column_set", site=site.name, column=column,
                             kind=msg(f"website.kind_{kind}"),
                             limit=limit_text(ctx.policy, kind)))


async def _list(ctx: HandlerContext, site: Account, now: datetime) -> None:
    hours = clock(ctx)
    rows = []
    for column in await WebsiteColumn.filter(account_id=site.id, active=True).order_by("id"):
        since = column.last_update_at or column.created_at
        due = due_at(ctx.policy, column.kind, since)
        rows.append({"name": column.name, "kind": msg(f"website.kind_{column.kind}"),
                     "limit": limit_text(ctx.policy, column.kind),
                     "last": local_date(column.last_update_at, hours)
                     if column.last_update_at else "", "due": local_date(due, hours),
                     "late": due < now})
    await ctx.reply(OutgoingText(ctx.render("text/website_columns.md.j2",
                                            site=account_label(site), rows=rows),
                                 markdown=True))


@router.command("栏目更新")
async def on_updated(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`栏目更新 <网站名> <栏目名> [日期]`: the column was updated (rule R-UPD-4)."""
    assert ctx.command is not None
    words = ctx.command.args.split(" ")
    if len(words) not in (2, 3):
        raise DomainError("website.update_usage")
    site = await _site(ctx, words[0], "栏目更新")
    hours, now = clock(ctx), event.received_at
    moment = now
    if len(words) == 3:
        day = parse_day(words[2], today(now, hours), future=False)
        if day is None or day > today(now, hours):
            raise DomainError("website.update_usage")
        moment = min(now, datetime.combine(day, hours.start, hours.tz))
    column = await WebsiteColumn.get_or_none(account_id=site.id, name=words[1], active=True)
    if column is None:
        raise DomainError("website.unknown_column", site=site.name, column=words[1])
    column.last_update_at, column.updated_by = moment, ctx.require_person().id
    await column.save(update_fields=["last_update_at", "updated_by"])
    await ctx.audit("website.column_updated", f"account:{site.id}", column=column.name,
                    at=moment.isoformat())
    await ctx.reply(ctx.text("website.updated", site=site.name, column=column.name,
                             next=local_date(due_at(ctx.policy, column.kind, moment), hours)))


# --- the reminder kind: columns near or past their interval ---

async def column_due(policy: Policy, now: datetime, hours: WorkingHours) -> list[Due]:
    """rule R-UPD-4: per kind, one range query on (active, kind, last_update_at,
    created_at); the stale ladder's warning and overdue days around the interval."""
    rem, items = policy.reminders, []
    before, late = timedelta(days=rem.stale_before_days), timedelta(days=rem.stale_overdue_days)
    for kind in ColumnKind:
        # the newest reference time that is already at the warning (months: a few days'
        # slack for uneven months, checked exactly below)
        cutoff = now + before - (due_at(policy, kind, now) - now) + timedelta(days=3)
        base = WebsiteColumn.filter(active=True, kind=kind, account__status="normal")
        fields = ("id", "account_id", "name", "last_update_at", "created_at",
                  "account__unit_id", "account__name", "account__platform")
        rows = [*await base.filter(last_update_at__lte=cutoff).values_list(*fields),
                *await base.filter(last_update_at__isnull=True, created_at__lte=cutoff)
                .values_list(*fields)]
        for col_id, account_id, name, last, created, unit_id, site, platform in rows:
            ref = last or created
            due = due_at(policy, kind, ref)
            rung = reached(ladder(("before", due - before, [DOERS]), ("due", due, [DOERS]),
                                  ("overdue", due + late, [DOERS, LEADERS])), now)
            if rung is None:
                continue
            items.append(Due("column", f"column:{col_id}@{stamp(ref)}", rung.stage,
                             rung.audience, unit_id, account_id=account_id, ctx={
                                 "site": label_of(site, platform), "column": name,
                                 "limit": limit_text(policy, kind), "never": last is None,
                                 "due": local_date(due, hours), "days": (now - ref).days}))
    return items
