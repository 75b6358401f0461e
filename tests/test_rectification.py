"""Rectification (rule R-FIX-1): opened by a supervisor above or the unit's chief, fixed by
the account's admins within 1–5 days, confirmed or reopened by the opener, chased on the
reminder ladder (scans at 08:45 office time, as `govmedia remind --now` runs them).

November 2025: Mon Nov 3 … Fri Nov 7, Mon Nov 10. 黔江文旅's admin is 王五; his unit's
leaders are 张明 (reviewer) and 陈伟 (chief); 赵强 supervises from the district office.
"""

from __future__ import annotations

from datetime import UTC, datetime

from models.followups import FixState, Rectification, tally
from models.system import AuditEvent
from tests.conftest import Harness
from tests.followups_support import last_text, quiet_accounts, say_at
from tests.test_reminders import at, scan

LEADERS = {"zhangming", "chenwei"}


async def test_rectification_ladder_confirm_and_reopen(bot: Harness) -> None:
    """rule R-FIX-1: the deadline from the days given, the ladder, 已整改 → 退回 → 确认."""
    await quiet_accounts("黔江文旅", updated=at(11, 10, 8))
    reply = await say_at(bot, "zhaoqiang", "整改 黔江文旅 简介中的办公电话已停用 3", at(11, 3, 10))
    assert "已发起整改 1" in reply and "11月6日" in reply and "王五" in reply
    assigned = await last_text(bot, "wangwu")
    assert "【整改 1】" in assigned and "办公电话已停用" in assigned and "已整改 1" in assigned
    fix = await Rectification.get(id=1)
    assert fix.days == 3 and fix.state == FixState.OPEN

    assert set(await scan(bot, at(11, 3, 11))) == set()  # opened today: told already
    before = await scan(bot, at(11, 4, 8, 45))
    assert set(before) == {"wangwu"} and "须在 11月6日 前完成" in before["wangwu"]
    due = await scan(bot, at(11, 6, 8, 45))
    assert set(due) == {"wangwu"} and "今天（11月6日）到期" in due["wangwu"]
    overdue = await scan(bot, at(11, 7, 8, 45))
    assert set(overdue) == {"wangwu"} | LEADERS
    assert "负责人：王五" in overdue["chenwei"] and "已告知单位负责人" in overdue["wangwu"]
    escalated = await scan(bot, at(11, 10, 8, 45))
    assert set(escalated) == {"wangwu", "zhaoqiang"} | LEADERS
    assert "请督促" in escalated["zhaoqiang"]
    assert await scan(bot, at(11, 10, 8, 50)) == {}

    reply = await say_at(bot, "wangwu", "已整改 1 已更正简介中的电话", at(11, 10, 10))
    assert "已登记" in reply and "超过了 11月6日 的期限" in reply and "赵强" in reply
    ask = await last_text(bot, "zhaoqiang")
    assert "确认整改 1" in ask and "退回整改 1" in ask and "已更正简介中的电话" in ask
    assert await scan(bot, at(11, 11, 8, 45)) == {}  # submitted: nobody is chased

    reply = await say_at(bot, "zhaoqiang", "退回整改 1 电话仍是旧号码", at(11, 11, 10))
    assert "已退回整改 1" in reply
    assert "电话仍是旧号码" in await last_text(bot, "wangwu")
    again = await scan(bot, at(11, 12, 8, 45))  # the reopened round is chased afresh
    assert set(again) == {"wangwu", "zhaoqiang"} | LEADERS

    await say_at(bot, "wangwu", "已整改 1 https://mp.weixin.qq.com/s/fixed", at(11, 12, 10))
    reply = await say_at(bot, "zhaoqiang", "确认整改 1", at(11, 12, 11))
    assert "已确认" in reply and "超过期限" in reply
    fix = await Rectification.get(id=1)
    assert fix.state == FixState.DONE and fix.round == 2 and fix.done_at > fix.due_at
    assert "已由 赵强 确认完成" in await last_text(bot, "wangwu")
    assert await scan(bot, at(11, 13, 8, 45)) == {}
    actions = [e.action for e in await AuditEvent.filter(subject="fix:1").order_by("seq")]
    assert actions == ["fix.opened", "fix.submitted", "fix.reopened", "fix.submitted",
                       "fix.confirmed"]


async def test_chief_opens_with_default_days_and_tally(bot: Harness) -> None:
    """rule R-FIX-1: the unit's chief may open one; no days given → the profile's 5; the
    quarterly report's counts: on time, late, open per unit."""
    reply = await say_at(bot, "chenwei", "整改 清新黔江\n置顶视频来源未注明", at(11, 3, 10))
    assert "11月8日" in reply and "5 天" in reply and "李四" in reply
    await say_at(bot, "lisi", "已整改 1 已补注来源", at(11, 4, 9))
    assert "确认整改 1" in await last_text(bot, "chenwei")
    assert "按期" in await say_at(bot, "chenwei", "确认整改 1", at(11, 4, 10))
    await say_at(bot, "zhaoqiang", "整改 平安黔江(新浪微博) 简介过旧 2", at(11, 3, 10))
    counts = await tally("rectification", at(10, 1, 0), at(12, 31, 0))
    assert (counts["qj-wlw"].on_time, counts["qj-wlw"].late, counts["qj-wlw"].open) == (1, 0, 0)
    assert (counts["qj-gaj"].on_time, counts["qj-gaj"].open) == (0, 1)
    assert await tally("rectification", at(12, 1, 0), at(12, 31, 0)) == {}


async def test_rectification_refusals_change_nothing(bot: Harness) -> None:
    """Bad input and the wrong people get a clear answer; no row, no message."""
    for user, text, expected in (
            ("zhaoqiang", "整改 黔江文旅 问题 9", "1–5 天"),
            ("zhaoqiang", "整改 黔江文旅", "整改格式"),
            ("zhaoqiang", "整改 不存在的号 问题", "没有找到账号"),
            ("wangwu", "整改 黔江文旅 问题", "只有上级主管单位或本单位主要负责人"),
            ("zhengyu", "整改 黔江文旅 问题", "只有上级主管单位或本单位主要负责人")):
        assert expected in await bot.say(user, text), text
    assert await Rectification.all().count() == 0
    now = datetime.now(UTC)
    await say_at(bot, "zhaoqiang", "整改 黔江文旅 问题 2", now)
    assert "没有编号为 9" in await bot.say("wangwu", "已整改 9 好了")
    assert "整改完成登记格式" in await bot.say("wangwu", "已整改 1")
    assert "不是您单位的账号" in await bot.say("sunli", "已整改 1 好了")
    assert "还没有登记完成" in await bot.say("zhaoqiang", "确认整改 1")
    await bot.say("wangwu", "已整改 1 好了")
    assert "正等待发起人确认" in await bot.say("wangwu", "已整改 1 再次")
    assert "只有发起人（赵强）" in await bot.say("chenwei", "确认整改 1")
    assert "退回整改格式" in await bot.say("zhaoqiang", "退回整改 1")
    assert (await Rectification.get(id=1)).state == FixState.SUBMITTED


async def test_todo_lists_rectifications_with_their_commands(bot: Harness) -> None:
    """`待办`: the admin sees what to fix and how to close it; the opener what to confirm."""
    await bot.say("zhaoqiang", "整改 黔江文旅 菜单链接失效 2")
    todo = await bot.say("wangwu", "待办")
    assert "待整改（1）" in todo and "菜单链接失效" in todo and "已整改 编号" in todo
    assert "没有待办" in await bot.say("lisi", "待办")
    await bot.say("wangwu", "已整改 1 已修复")
    todo = await bot.say("zhaoqiang", "待办")
    assert "等您确认的整改（1）" in todo and "确认整改 编号" in todo


async def test_reminder_settings_name_the_followups(bot: Harness) -> None:
    """`提醒设置` says what the follow-up rules send and to whom (R-FIX-1, R-MSG-1, R-INT-1,
    R-DUT-1, R-ACC-7)."""
    admin = await bot.say("wangwu", "提醒设置")
    assert "整改 1–5 天" in admin and "1 个工作日内受理" in admin and "20 个工作日" in admin
    assert "您值班的日子" in admin
    assert "提醒您排班" in await bot.say("chenwei", "提醒设置")
    supervisor = await bot.say("zhaoqiang", "提醒设置")
    assert "僵尸账号候选" in supervisor and "仿冒账号报告" in supervisor
