"""Duty at key times (rule R-DUT-1): a roster per unit, a reminder before each public
holiday of the official calendar to units with days no one is on duty, and relay tasks and
emergency reports outside working hours going to whoever is on duty.

National Day 2025: Oct 1–8 off (Sun Sep 28 and Sat Oct 11 are 调休 workdays). Only 黔江文旅
is active, so only its unit (文旅委: leaders 张明 and 陈伟) must keep a watch.
"""

from __future__ import annotations

from models.duty import DutyShift
from tests.conftest import Harness
from tests.followups_support import last_text, quiet_accounts, say_at
from tests.test_reminders import at, scan

LEADERS = {"zhangming", "chenwei"}


async def roster(bot: Harness) -> None:
    """王五 Oct 1–4, 李四 and 张明 Oct 5–8, then Oct 8 cancelled."""
    reply = await say_at(bot, "chenwei", "值班 10月1日-10月4日 王五", at(9, 26, 10))
    assert "已排班：10月1日–10月4日 王五（4 天）" in reply
    assert "安排您在 10月1日–10月4日 值班" in await last_text(bot, "wangwu")
    reply = await say_at(bot, "chenwei", "值班 10月5日至8日 李四、张明", at(9, 26, 10, 5))
    assert "李四、张明（4 天）" in reply
    reply = await say_at(bot, "chenwei", "值班 10月8日 取消", at(9, 26, 10, 10))
    assert "已取消 10月8日 的排班 2 条" in reply


async def test_holiday_reminder_to_units_without_a_watch(bot: Harness) -> None:
    await quiet_accounts("黔江文旅", updated=at(9, 26, 9))
    assert await scan(bot, at(9, 25, 8, 45)) == {}
    before = await scan(bot, at(9, 26, 8, 45))
    assert set(before) == LEADERS and "国庆节、中秋（10月1日–10月8日）" in before["chenwei"]
    assert "10月1日–10月8日" in before["chenwei"].split("还没有人值班：")[1]
    await roster(bot)
    assert await scan(bot, at(9, 29, 8, 45)) == {}  # Monday: the warning was given
    due = await scan(bot, at(9, 30, 8, 45))
    assert set(due) == LEADERS | {"zhaoqiang"}
    assert "明天开始" in due["zhaoqiang"] and "仍没有人值班：10月8日" in due["zhaoqiang"]
    shown = await say_at(bot, "chenwei", "值班表", at(9, 30, 10))
    assert "10月1日：王五" in shown and "10月5日：李四、张明" in shown
    assert "尚无人值班的日期：10月8日" in shown
    shown = await say_at(bot, "zhaoqiang", "值班表", at(9, 30, 10))
    assert "黔江区文化和旅游发展委员会：10月8日" in shown
    await say_at(bot, "zhangming", "值班 10月8日 张明", at(9, 30, 11))
    assert "每天都有人值班" in await say_at(bot, "chenwei", "值班表", at(9, 30, 12))


async def test_night_relays_and_emergencies_go_to_whoever_is_on_duty(bot: Harness) -> None:
    await quiet_accounts("黔江文旅", updated=at(9, 26, 9))
    await roster(bot)
    before = {user: len(await bot.texts(user)) for user in ("wangwu", "lisi", "sunli")}
    await say_at(bot, "zhaoqiang", "转载 https://www.gov.cn/xinwen/1 国庆假期安全提示",
                 at(10, 2, 22))
    assert "【转载任务 1】" in await last_text(bot, "wangwu")  # on duty Oct 2
    assert len(await bot.texts("lisi")) == before["lisi"]  # off duty: not woken
    assert "【转载任务 1】" in await last_text(bot, "sunli")  # 公安局 keeps no roster here
    night = await scan(bot, at(10, 3, 7, 30))  # before 08:30: still Oct 2's watch
    assert "wangwu" in night and "lisi" not in night and "sunli" in night
    assert "转载任务 1" in night["wangwu"]
    await say_at(bot, "chenwei", "紧急关停 黔江文旅 账号疑似被盗", at(10, 3, 1))
    assert "【紧急关停报备】" in await last_text(bot, "wangwu")
    assert "【紧急关停报备】" not in await last_text(bot, "lisi")


async def test_roster_refusals(bot: Harness) -> None:
    assert "只有本单位的负责人可以排班" in await bot.say("wangwu", "值班 明天 王五")
    assert "排班格式" in await bot.say("chenwei", "值班 哪天 王五")
    assert "排班格式" in await bot.say("chenwei", "值班 明天")
    assert "没有找到“孙丽”" in await bot.say("chenwei", "值班 明天 孙丽")  # another unit
    assert "一次最多排" in await bot.say("chenwei", "值班 2025-01-01-2025-12-31 王五")
    assert "已经过去" in await say_at(bot, "chenwei", "值班 10月1日 王五", at(10, 9, 10))
    assert await DutyShift.all().count() == 0
    assert "只有本单位或上级主管单位" in await bot.say("sunli", "值班表 黔江区文化和旅游发展委员会")
