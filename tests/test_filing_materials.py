"""Opening materials recorded item by item on the filing (R-ACC-10), per the seed's list:
the filer and the approvers record what arrived, the next stage's card shows it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Settings
from models.registry import Filing
from tests.conftest import Harness

NOW = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)
OPEN = "开设 黔江非遗\n平台：微信服务号\n理由：非遗宣传需要"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.clock.utcnow", lambda: NOW)


async def test_materials_recorded_then_shown_to_the_next_stage(db: None) -> None:
    """rule R-ACC-10 (004 Art.14 lists nine materials in 路居)."""
    bot = Harness(Settings(database_url="sqlite://:memory:", policy="luju"))
    await bot.say("wangwu", OPEN)
    body = (await bot.live_card("chenwei"))["body_md"]
    assert "⬜ 1. 《云南省政务新媒体备案登记表》" in body and "⬜ 9." in body
    reply = await bot.say("wangwu", "材料 #1 1 2、4")
    assert "已登记收到第 1、2、4 项" in reply and "尚缺 6 项" in reply
    assert (await Filing.get(id=1)).payload["materials"] == [1, 2, 4]
    await bot.say("chenwei", "同意备案 #1")
    body = (await bot.live_card("zhaoqiang"))["body_md"]
    assert "✅ 2. 单位集体研究的会议纪要" in body and "⬜ 3. 人员管理" in body
    reply = await bot.say("zhaoqiang", "材料 #1 3 5 6 7 8 9")
    assert "材料已齐" in reply


async def test_default_profile_asks_the_four_conditions(bot: Harness) -> None:
    """rule R-ACC-10 (000 Art.3, 002 Art.4: 须具备以下条件)."""
    await bot.say("wangwu", OPEN)
    body = (await bot.live_card("chenwei"))["body_md"]
    assert "⬜ 3. 有必要的经费保障" in body and "⬜ 5." not in body


@pytest.mark.parametrize(("user", "text", "expected"), [
    ("wangwu", "材料 #1 12", "1 到 4 之间"),
    ("wangwu", "材料 #1 一二", "无法识别"),
    ("wangwu", "材料 1", "格式"),
    ("wangwu", "材料 #9", "没有找到备案 #9"),
    ("sunli", "材料 #1 1", "只有备案人"),
])
async def test_bad_materials_commands_change_nothing(bot: Harness, user: str, text: str,
                                                     expected: str) -> None:
    """rule R-ACC-10: a clear answer, nothing recorded."""
    await bot.say("wangwu", OPEN)
    assert expected in await bot.say(user, text)
    assert "materials" not in (await Filing.get(id=1)).payload


async def test_only_an_opening_has_materials(bot: Harness) -> None:
    await bot.say("wangwu", "变更 黔江文旅\n简介：新的简介")
    assert "不是开设备案" in await bot.say("wangwu", "材料 #1")
