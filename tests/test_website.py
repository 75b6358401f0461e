"""Website columns (rule R-UPD-4): home news weekly, 动态/要闻 within 14 days (黔江: weekly,
003 Art.12), 通知/公告/政策 within 3 months, fixed pages yearly; each column chased on the
stale ladder by the reminder scan (`govmedia remind --now`)."""

from __future__ import annotations

import dataclasses

from models.org import Account, Person
from models.website import ColumnKind, WebsiteColumn
from tests.conftest import Harness
from tests.followups_support import quiet_accounts, say_at
from tests.test_reminders import at, scan

SITE = "黔江文旅网"
LEADERS = {"zhangming", "chenwei"}


async def website() -> Account:
    site = await Account.create(name=SITE, platform="website", unit_id="qj-wlw",
                                last_update_at=at(12, 31, 9), password_changed_at=at(12, 1, 9),
                                created_at=at(9, 1, 9))
    await site.admins.add(await Person.get(id="wangwu"))
    return site


async def test_columns_are_chased_by_their_kind(bot: Harness) -> None:
    await quiet_accounts(updated=at(12, 31, 9))
    await website()
    for column, kind in (("首页焦点", "首页"), ("政务要闻", "动态"), ("通知公告", "通知"),
                         ("机关简介", "固定")):
        reply = await say_at(bot, "wangwu", f"栏目 {SITE} {column} {kind}", at(11, 3, 9))
        assert f"栏目“{column}”" in reply
    await say_at(bot, "wangwu", f"栏目更新 {SITE} 通知公告 2025-09-01", at(11, 3, 9))
    listing = await say_at(bot, "wangwu", f"栏目 {SITE}", at(11, 3, 10))
    assert "政务要闻（动态要闻，最长 14 天更新一次）：登记以来未更新，11月17日 前须再更新" \
        in listing
    assert "通知公告（通知公告政策，最长 3 个月更新一次）：最近更新 9月1日" in listing

    assert await scan(bot, at(11, 8, 10)) == {}  # Saturday: the warning waits for Monday
    home = await scan(bot, at(11, 10, 8, 45))  # registered Nov 3 09:00, due Nov 10 09:00
    assert set(home) == {"wangwu"} and "首页焦点" in home["wangwu"]
    assert "须在 11月10日 前更新（至少每 7 天更新）" in home["wangwu"]
    home = await scan(bot, at(11, 10, 10))
    assert "登记以来未更新，今天（11月10日）到期" in home["wangwu"]
    overdue = await scan(bot, at(11, 11, 10))
    assert set(overdue) == {"wangwu"} | LEADERS and "首页焦点" in overdue["chenwei"]
    await say_at(bot, "wangwu", f"栏目更新 {SITE} 首页焦点", at(11, 11, 10))
    later = await scan(bot, at(11, 17, 8, 45))  # the update started a new week for 首页焦点
    assert "“政务要闻”（黔江区文化和旅游发展委员会）须在 11月17日 前" in later["wangwu"]
    assert "“首页焦点”（黔江区文化和旅游发展委员会）须在 11月18日 前" in later["wangwu"]
    notice = await scan(bot, at(11, 28, 8, 45))  # Dec 1 minus the 2-day warning: Nov 29
    assert "通知公告" not in notice.get("wangwu", "")
    notice = await scan(bot, at(12, 1, 8, 45))
    assert "通知公告" in notice["wangwu"] and "12月1日" in notice["wangwu"]
    assert "机关简介" not in str(await scan(bot, at(12, 2, 8, 45)))  # yearly


async def test_qianjiang_news_columns_weekly(bot: Harness) -> None:
    """rule R-UPD-4 (003 Art.12): 黔江's 动态要闻 columns at least weekly."""
    qianjiang = type(bot)(dataclasses.replace(bot.settings, policy="qianjiang"))
    await quiet_accounts(updated=at(12, 31, 9))
    await website()
    reply = await say_at(qianjiang, "wangwu", f"栏目 {SITE} 政务要闻 要闻", at(11, 3, 9))
    assert "最长 7 天更新一次" in reply
    assert "政务要闻" in (await scan(qianjiang, at(11, 10, 8, 45)))["wangwu"]


async def test_column_refusals_and_retiring(bot: Harness) -> None:
    await website()
    assert "不是网站" in await bot.say("wangwu", "栏目 黔江文旅")
    assert "栏目登记格式" in await bot.say("wangwu", f"栏目 {SITE} 政务要闻 随便")
    assert "只有" in await bot.say("sunli", f"栏目 {SITE} 政务要闻 动态")
    await bot.say("wangwu", f"栏目 {SITE} 政务要闻 动态")
    assert "没有名为“要闻”" in await bot.say("wangwu", f"栏目更新 {SITE} 要闻")
    assert "栏目更新登记格式" in await bot.say("wangwu", f"栏目更新 {SITE} 政务要闻 2099-1-1")
    await bot.say("wangwu", f"栏目 {SITE} 政务要闻 通知")  # the kind changes, one column
    column = await WebsiteColumn.get(name="政务要闻")
    assert column.kind == ColumnKind.NOTICE and await WebsiteColumn.all().count() == 1
    assert "已停用" in await bot.say("wangwu", f"栏目 {SITE} 政务要闻 停用")
    assert "还没有登记栏目" in await bot.say("wangwu", f"栏目 {SITE}")
