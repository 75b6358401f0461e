"""Counterfeit accounts (rule R-ACC-14): reported up the chain with what must be done,
each step recorded, closed only once verified and reported, the outcome filed with the
supervisors above. Zombie candidates (rule R-ACC-7): a quarter without updates and no admin is
proposed for closure to the supervisor. Scans at 08:45 office time (`govmedia remind --now`)."""

from __future__ import annotations

from models.followups import CounterfeitReport
from models.org import Account, Person
from tests.conftest import Harness
from tests.followups_support import last_text, quiet_accounts, say_at
from tests.test_reminders import at, scan


async def test_counterfeit_reported_handled_and_closed(bot: Harness) -> None:
    await quiet_accounts("黔江文旅", updated=at(11, 14, 8))
    reply = await say_at(bot, "sunli", "仿冒 抖音 黔江文旅 冒用文旅委名义推销团购", at(11, 3, 10))
    # the account name is 文旅委's: its chief hears it, the district office gets the report
    assert "已登记仿冒 1" in reply and "黔江区文化和旅游发展委员会" in reply
    assert "陈伟" in reply and "赵强" in reply and "11月4日" in reply
    chief = await last_text(bot, "chenwei")
    assert "立即排查核实" in chief and "网信、公安" in chief and "致函平台" in chief
    assert "【仿冒 1 · 报备】" in await last_text(bot, "zhaoqiang")

    due = await scan(bot, at(11, 4, 8, 45))
    assert set(due) == {"chenwei"} and "今天（11月4日）须核实完毕" in due["chenwei"]
    late = await scan(bot, at(11, 5, 8, 45))
    assert set(late) == {"chenwei", "zhangming"}

    assert "只有被仿冒单位的负责人" in await bot.say("wangwu", "仿冒处置 1 核实")
    assert "仿冒处置登记格式" in await bot.say("chenwei", "仿冒处置 1 看看")
    reply = await say_at(bot, "chenwei", "仿冒处置 1 核实 确系冒用", at(11, 5, 10))
    assert "已核实" in reply and "还须" in reply and "网信" in reply
    assert "尚未登记" in await say_at(bot, "chenwei", "仿冒处置 1 已关停", at(11, 5, 11))
    assert await scan(bot, at(11, 11, 8, 45)) == {}  # verified: chased weekly, not daily
    weekly = await scan(bot, at(11, 12, 10))
    assert set(weekly) == {"chenwei"} and "仍未办结" in weekly["chenwei"]
    assert await scan(bot, at(11, 13, 10)) == {}

    await bot.say("chenwei", "仿冒处置 1 网信公安 已报区委网信办、区公安局")
    await bot.say("sunli", "仿冒处置 1 平台 已致函抖音")  # the reporter may record steps
    reply = await bot.say("chenwei", "仿冒处置 1 已关停 抖音已封禁")
    assert "已办结，并已向上级主管单位报备" in reply
    filed = await last_text(bot, "zhaoqiang")
    assert "办结报备" in filed and "已由平台关停" in filed
    assert "办结报备" in await last_text(bot, "sunli")
    row = await CounterfeitReport.get(id=1)
    assert row.outcome == "closed" and set(row.steps) == {
        "verified", "authorities", "platform", "closed", "filed"}
    assert "已办结" in await bot.say("chenwei", "仿冒处置 1 核实")
    assert await scan(bot, at(11, 18, 8, 45)) == {}


async def test_counterfeit_unfounded_and_todo(bot: Harness) -> None:
    reply = await bot.say("wangwu", "仿冒 微博 https://weibo.com/u/123 疑似冒用")
    assert "黔江区文化和旅游发展委员会" in reply  # no account of that name: the reporter's unit
    todo = await bot.say("chenwei", "待办")
    assert "待办结的仿冒账号（1）" in todo and "仿冒处置 编号" in todo
    assert "待办结的仿冒账号（1）" in await bot.say("wangwu", "待办")  # the reporter
    reply = await bot.say("chenwei", "仿冒处置 1 不属实 是本委志愿者的个人号")
    assert "已办结" in reply and "不属于仿冒" in await last_text(bot, "zhaoqiang")
    assert "仿冒" not in await bot.say("chenwei", "待办")
    assert "举报仿冒账号格式" in await bot.say("wangwu", "仿冒 抖音")
    assert await CounterfeitReport.all().count() == 1


async def test_zombie_candidate_proposed_to_the_supervisor(bot: Harness) -> None:
    """rule R-ACC-7: silent for a whole inspection period (3 months, R-INS-1) with no
    admin, as the quarterly report counts it; proposed once per silent spell."""
    await quiet_accounts("黔江文旅", "清新黔江", updated=at(8, 1, 9))
    account = await Account.get(name="黔江文旅")
    await account.admins.clear()  # 清新黔江 keeps its admin 李四: chased as stale, no zombie
    assert "僵尸账号候选" not in (await scan(bot, at(10, 31, 8, 45))).get("zhaoqiang", "")
    proposed = await scan(bot, at(11, 3, 8, 45))
    assert proposed["zhaoqiang"].count("僵尸账号候选") == 1
    assert "黔江文旅（微信订阅号）" in proposed["zhaoqiang"].split("僵尸账号候选")[1]
    assert "无专人维护" in proposed["zhaoqiang"] and "关停 黔江文旅" in proposed["zhaoqiang"]
    assert "僵尸账号候选" not in (await scan(bot, at(11, 4, 8, 45))).get("zhaoqiang", "")
    todo = await say_at(bot, "zhaoqiang", "待办", at(11, 3, 10))
    assert "僵尸账号候选（1）" in todo and "94 天未更新，无管理员" in todo
    assert "清新黔江" not in todo
    await account.admins.add(await Person.get(id="wangwu"))
    assert "僵尸账号" not in await say_at(bot, "zhaoqiang", "待办", at(11, 3, 11))
