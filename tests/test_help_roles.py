"""帮助 shows what the person's roles allow; 帮助 全部 shows every command (issue 16 point 8)."""

from __future__ import annotations

from tests.conftest import Harness


async def test_help_lists_what_the_roles_allow(bot: Harness) -> None:
    plain = await bot.say("wangwu", "帮助")  # 信息员 (editor)
    assert "投稿 账号名" in plain and "查询 账号名" in plain and "登记表 #稿件号" in plain
    for other in ("通过 #稿件号", "退回 #稿件号 理由", "词库 添加", "同意备案", "季度报告",
                  "转载 来源网址", "整改 账号名 问题", "权限 账号名"):
        assert other not in plain, other
    assert "帮助 全部" in plain

    reviewer = await bot.say("zhangming", "帮助")
    assert "通过 #稿件号" in reviewer and "词库 添加" not in reviewer

    everything = await bot.say("wangwu", "帮助 全部")
    for line in ("通过 #稿件号", "词库 添加", "同意备案", "季度报告", "转载 来源网址",
                 "整改 账号名 问题", "权限 账号名"):
        assert line in everything, line
    assert "只列出您的角色可用的命令" not in everything
    assert len(plain) < len(everything) * 0.8


async def test_a_supervisor_sees_everything(bot: Harness) -> None:
    supervisor = await bot.say("zhaoqiang", "帮助")
    assert "词库 添加" in supervisor and "季度报告" in supervisor
    assert "只列出您的角色可用的命令" not in supervisor


async def test_query_suggests_the_accounts_of_the_unit_named(bot: Harness) -> None:
    """查询 黔江公安: no account is called that, but 黔江区公安局 hosts 平安黔江 (point 12)."""
    reply = await bot.say("wangwu", "查询 黔江公安")
    assert "没有找到账号“黔江公安”" in reply
    assert "您是不是要找：平安黔江" in reply
    assert "黔江文旅" in await bot.say("wangwu", "查询 黔江文旅局")


async def test_help_lists_the_moves(bot: Harness) -> None:
    """issue 20: 撤回, 催办, 请假 and 销假 for everyone; 转交 for reviewers, 改派 for leaders."""
    plain = await bot.say("wangwu", "帮助")
    for line in ("撤回 #稿件号", "催办 #稿件号", "请假 起始日期", "销假"):
        assert line in plain, line
    assert "转交 #稿件号" not in plain and "改派 #稿件号" not in plain
    chief = await bot.say("chenwei", "帮助")
    assert "改派 #稿件号" in chief and "销假 人员" in chief and "转交 #稿件号" in chief
