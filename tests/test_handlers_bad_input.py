"""Bad input gets a clear Chinese reply and changes nothing."""

from __future__ import annotations

import pytest

from models.channel_state import UnknownSender
from models.review import Draft, ReviewStep
from models.system import AuditEvent
from tests.conftest import Harness


async def assert_nothing_changed(before_audit: int) -> None:
    assert await Draft.all().count() == 0
    assert await AuditEvent.all().count() == before_audit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("投稿 黔江文鲁\n标题\n正文", "您是不是要找：黔江文旅"),
        ("投稿 不存在的号\n标题\n正文", "没有找到账号“不存在的号”"),
        ("投稿 黔江文旅", "缺少标题"),
        ("投稿 黔江文旅\n只有标题", "缺少正文"),
        ("投稿 黔江文旅\n\n转载：ftp://x\n标题\n正文", "来源网址"),
        ("投稿 黔江文旅\n重要：也许\n标题\n正文", "“是”或“否”"),
        ("投稿 黔江文旅\n" + "长" * 200 + "\n正文", "标题太长"),
        ("投稿", "投稿格式"),
        ("投稿 平安黔江\n标题\n正文", "请注明平台"),
        ("投稿 黔江财政\n标题\n正文", "不是黔江财政（微信订阅号）的信息员"),
        ("   ", "消息是空的"),
        ("你好", "没有看懂“你好”"),
        ("通过 #999", "没有找到稿件 #999"),
        ("通过 abc", "通过格式"),
        ("已发布 #1", "发布登记格式"),
        ("修改 #1", "没有找到稿件 #1"),
    ],
)
async def test_bad_input_is_answered_and_changes_nothing(bot: Harness, text: str,
                                                         expected: str) -> None:
    before = await AuditEvent.all().count()
    reply = await bot.say("wangwu", text)
    assert expected in reply
    await assert_nothing_changed(before)


async def test_huge_message_is_refused_with_the_limit(bot: Harness) -> None:
    limit = bot.settings.max_message_chars
    reply = await bot.say("wangwu", "投稿 黔江文旅\n标题\n" + "字" * limit)
    assert f"最多 {limit} 字" in reply
    assert await Draft.all().count() == 0


async def test_full_width_punctuation_and_spaces(bot: Harness) -> None:
    reply = await bot.say("wangwu", "投稿：　黔江文旅　\n标题\n正文")
    assert "#1" in reply
    assert "已通过稿件 #1" in await bot.say("zhangming", "通过　＃１　好")
    assert (await ReviewStep.get(draft_id=1, level=2)).comment == "好"


async def test_platform_disambiguation(bot: Harness) -> None:
    reply = await bot.say("sunli", "投稿 平安黔江（新浪微博）\n标题\n正文")
    assert "#1" in reply and "周军" in reply
    draft = await Draft.get(id=1).prefetch_related("account")
    assert draft.account.platform == "weibo"


async def test_unknown_person_gets_a_polite_reply(bot: Harness) -> None:
    reply = await bot.say("stranger", "投稿 黔江文旅\n标题\n正文")
    assert "不在本单位的人员名单中" in reply
    assert await Draft.all().count() == 0
    # the same answer to anything, on every platform, and a record for the admin
    assert await bot.say("stranger", "帮助") == reply
    assert (await UnknownSender.get(channel="sim", user_id="stranger")).count == 2


async def test_only_author_revises_and_only_returned(bot: Harness) -> None:
    await bot.say("wangwu", "投稿 黔江文旅\n标题\n正文")
    assert "只有被退回或已撤回的稿件才能修改" in await bot.say("wangwu", "修改 #1\n新标题\n新正文")
    await bot.say("zhangming", "退回 #1 重写")
    assert "不是您起草的" in await bot.say("lisi", "修改 #1\n新标题\n新正文")
    assert (await Draft.get(id=1)).version == 1


async def test_publish_requires_approval_and_a_publisher(bot: Harness) -> None:
    await bot.say("wangwu", "投稿 黔江文旅\n标题\n正文")
    assert "完成三审三校后才能登记发布" in await bot.say("wangwu", "已发布 #1 https://a.cn/x")
    assert "只有稿件 #1 的起草人或账号管理员" in await bot.say("lisi", "已发布 #1 https://a.cn/x")
    assert "没有等待审核的环节" not in await bot.say("zhangming", "通过 #1")
    await bot.say("liufang", "通过 #1")
    assert "没有等待审核的环节" in await bot.say("liufang", "通过 #1")
    assert "发布登记格式" in await bot.say("wangwu", "已发布 #1 不是网址")


async def test_nobody_eligible_leaves_draft_unsubmitted(bot: Harness) -> None:
    """rule R-REV-3: when no one may review, the author is told and nothing is stored."""
    from bot import orgfile

    org = orgfile.parse("""
[[units]]
id = "town"
name = "某镇"
[[people]]
id = "solo"
name = "独一人"
unit = "town"
roles = ["editor", "reviewer", "approver", "chief"]
[[accounts]]
name = "某镇发布"
platform = "weibo"
unit = "town"
admins = ["solo"]
""")
    await orgfile.apply(org)
    before = await AuditEvent.all().count()
    reply = await bot.say("solo", "投稿 某镇发布\n标题\n正文")
    assert "无法送审" in reply and "稿件未提交" in reply
    await assert_nothing_changed(before)
