"""Public messages (rule R-MSG-1: acknowledge within 1 workday, answer within 5) and policy
interpretation (rule R-INT-1: within 20 workdays of the issue date), in official workdays.

November 2025: Mon Nov 3 … Fri Nov 7, Mon Nov 10; National Day 2025 is Oct 1–8 off, with
Sat Oct 11 a 调休 workday. Scans at 08:45 office time, as `govmedia remind --now` runs them.
"""

from __future__ import annotations

import dataclasses

from models.followups import Interpretation, PublicMessage, tally
from tests.conftest import Harness
from tests.followups_support import last_text, quiet_accounts, say_at
from tests.test_reminders import at, scan

LEADERS = {"zhangming", "chenwei"}
EDITORS = {"wangwu", "lisi", "zhangming"}  # 黔江区文化和旅游发展委员会's editors


async def test_message_acknowledged_then_answered(bot: Harness) -> None:
    """rule R-MSG-1: 1 workday to acknowledge, 5 to answer; overdue ones climb the ladder."""
    await quiet_accounts("黔江文旅", updated=at(11, 14, 8))
    reply = await say_at(bot, "lisi", "留言 黔江文旅 网友询问濯水古镇周末是否限流", at(11, 3, 10))
    assert "已登记留言 1" in reply and "11月4日 前回复受理情况" in reply
    assert "11月10日 前反馈办理结果" in reply and "王五" in reply
    assert "已受理 1" in await last_text(bot, "wangwu")

    ack = await scan(bot, at(11, 4, 8, 45))
    assert set(ack) == {"wangwu"} and "今天（11月4日）须回复受理情况" in ack["wangwu"]
    late = await scan(bot, at(11, 5, 8, 45))
    assert set(late) == {"wangwu"} | LEADERS and "仍未回复受理情况" in late["chenwei"]
    reply = await say_at(bot, "wangwu", "已受理 1", at(11, 5, 9))
    assert "超过受理期限" in reply and "11月10日" in reply
    assert "已登记受理" in await say_at(bot, "wangwu", "已受理 1", at(11, 5, 9, 5))

    assert await scan(bot, at(11, 6, 8, 45)) == {}  # acknowledged; the answer not due yet
    due = await scan(bot, at(11, 10, 8, 45))
    assert set(due) == {"wangwu"} and "今天（11月10日）须反馈办理结果" in due["wangwu"]
    overdue = await scan(bot, at(11, 11, 8, 45))
    assert set(overdue) == {"wangwu"} | LEADERS
    escalated = await scan(bot, at(11, 14, 8, 45))
    assert set(escalated) == {"wangwu", "zhaoqiang"} | LEADERS
    assert "超期未答复" in escalated["zhaoqiang"]

    reply = await say_at(bot, "wangwu", "已答复 1 https://mp.weixin.qq.com/s/answer",
                         at(11, 14, 10))
    assert "已答复" in reply and "超过了 11月10日 的期限" in reply
    row = await PublicMessage.get(id=1)
    assert row.url.endswith("/answer") and row.answered_by == "wangwu"
    assert await scan(bot, at(11, 17, 8, 45)) == {}
    counts = await tally("public_message", at(11, 1, 0), at(12, 1, 0))
    assert (counts["qj-wlw"].late, counts["qj-wlw"].on_time, counts["qj-wlw"].open) == (1, 0, 0)


async def test_message_deadlines_follow_the_official_calendar(bot: Harness) -> None:
    """rule R-MSG-1 (qianjiang, 003 Art.13): registered the day before National Day, the
    acknowledgement is due on the first workday after it and the answer counts Oct 11."""
    qianjiang = type(bot)(dataclasses.replace(bot.settings, policy="qianjiang"))
    reply = await say_at(qianjiang, "wangwu", "留言 黔江文旅 国庆期间景区开放时间？", at(9, 30, 16))
    assert "10月9日 前回复受理情况" in reply and "10月14日 前反馈办理结果" in reply
    answer = await say_at(qianjiang, "wangwu", "已答复 1", at(10, 9, 10))
    assert "按期" in answer
    row = await PublicMessage.get(id=1)
    assert row.acked_at == row.answered_at  # an answer acknowledges too


async def test_message_refusals(bot: Harness) -> None:
    assert "留言登记格式" in await bot.say("wangwu", "留言 黔江文旅")
    assert "只有账号所属单位" in await bot.say("sunli", "留言 黔江文旅 问题")
    await bot.say("wangwu", "留言 黔江文旅 问题")
    assert "答复网址应以" in await bot.say("wangwu", "已答复 1 mp.weixin.qq.com")
    assert "只有账号所属单位" in await bot.say("sunli", "已受理 1")
    assert "没有编号为 7" in await bot.say("wangwu", "已受理 7")
    assert await PublicMessage.filter(acked_at__isnull=False).count() == 0
    await bot.say("wangwu", "已答复 1")
    assert "已答复，无需再登记" in await bot.say("wangwu", "已受理 1")
    todo = await bot.say("wangwu", "待办")
    assert "公众留言" not in todo
    await bot.say("wangwu", "留言 黔江文旅 第二条")
    todo = await bot.say("wangwu", "待办")
    assert "待办理的公众留言（1）" in todo and "已受理 2" in todo


async def test_interpretation_within_twenty_workdays(bot: Harness) -> None:
    """rule R-INT-1: 20 workdays from the issue date; the unit's editors act."""
    await quiet_accounts("黔江文旅", updated=at(12, 1, 8))
    reply = await say_at(bot, "chenwei", "解读 《关于促进文旅消费的若干措施》 2025-11-03 "
                         "https://www.cqqj.gov.cn/zwgk/1.html", at(11, 3, 15))
    assert "已登记政策解读任务 1" in reply and "12月1日 前" in reply and "20 个工作日" in reply
    row = await Interpretation.get(id=1)
    assert row.title == "关于促进文旅消费的若干措施" and row.source_url.endswith("1.html")
    for editor in EDITORS:
        assert "已解读 1" in await last_text(bot, editor)

    assert await scan(bot, at(11, 27, 8, 45)) == {}
    due = await scan(bot, at(12, 1, 8, 45))  # Sat Nov 29's warning and Monday's due: one line
    assert set(due) == EDITORS and "今天（12月1日）到期" in due["wangwu"]
    overdue = await scan(bot, at(12, 2, 8, 45))
    assert set(overdue) == EDITORS | LEADERS
    assert "超过了 12月1日 的期限" in await say_at(
        bot, "lisi", "已解读 1 https://www.cqqj.gov.cn/zcjd/1.html", at(12, 2, 10))
    assert await scan(bot, at(12, 5, 8, 45)) == {}


async def test_supervisor_opens_for_a_unit_below(bot: Harness) -> None:
    """rule R-INT-1: a supervisor names the issuing unit; only that unit closes it."""
    reply = await bot.say("zhaoqiang", "解读 关于加强道路交通安全管理的通告\n单位：黔江区公安局")
    assert "黔江区公安局" in reply
    assert "解读 1" in await last_text(bot, "sunli")
    assert "只有黔江区公安局" in await bot.say("wangwu", "已解读 1 https://a.gov.cn/1")
    assert "解读完成登记格式" in await bot.say("sunli", "已解读 1")
    assert "按期" in await bot.say("sunli", "已解读 1 https://a.gov.cn/1")
    assert "只有黔江区公安局" in await bot.say("lisi", "解读 某文件\n单位：黔江区公安局")
    assert "晚于今天" in await bot.say("chenwei", "解读 某文件 2099-01-01")
    assert "政策解读任务格式" in await bot.say("chenwei", "解读")
    assert await Interpretation.all().count() == 1
