"""A relay keeps its source and title (R-RLY-2, 000 Art.6, 001 Art.22, 004 Art.20): the
reviewer's card shows a relay draft whose title differs from the task's, or whose text names
no source, through the chat interface."""

from __future__ import annotations

from tests.conftest import Harness
from tests.test_reminders import at, relay_at


async def test_a_changed_title_and_a_missing_source_reach_the_reviewer(bot: Harness) -> None:
    """rule R-RLY-2."""
    await relay_at(bot, at(11, 10, 9), "转载 https://www.gov.cn/d.html 关于做好冬季防火工作的通知")
    await bot.say("wangwu", "投稿 黔江文旅\n任务：1\n冬季防火这些事要做好\n全文如下。")
    card = await bot.live_card("zhangming")
    assert "转载改了标题" in card["body_md"] and "转载未注明来源" in card["body_md"]
    detail = await bot.say("zhangming", "机审 #1")
    assert "关于做好冬季防火工作的通知" in detail and "R-RLY-2" in detail


async def test_a_faithful_relay_is_quiet(bot: Harness) -> None:
    """rule R-RLY-2: same title (punctuation aside) and a 来源 line: no relay finding."""
    await relay_at(bot, at(11, 10, 9), "转载 https://www.gov.cn/d.html 关于做好冬季防火工作的通知")
    await bot.say("wangwu", "投稿 黔江文旅\n任务：1\n关于做好冬季防火工作的通知！\n"
                            "全文如下。\n来源：中国政府网")
    card = await bot.live_card("zhangming")
    assert "转载改了标题" not in card["body_md"] and "转载未注明来源" not in card["body_md"]
