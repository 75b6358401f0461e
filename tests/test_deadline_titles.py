"""A follow-up's title is stored as what it is made of (Deadline.title_data) and rendered
when read, by one helper every reader uses (issue 11, point 6): the approval reply, the
follow-up card, 待办, 查询, the reminder scan and the supervisor's board (plain SQL). Rows
written before migration 0018 have no data and show the title they stored."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from bot.policy import load_policy
from handlers.registry import closers
from handlers.registry.closers import deadline_title, title_of
from handlers.reports.board import load_board
from models.deadlines import Deadline
from models.org import Person
from tests.conftest import Harness
from tests.test_filing_followups import TZ, Clock, clock, opened, scan_days  # noqa: F401

STORED = "旧措辞：备案 #1 的这句话只在库里"


async def shown(bot: Harness, clock: Clock) -> dict[str, str]:  # noqa: F811
    """Every place a follow-up's title appears, as one text each."""
    supervisor = await Person.get(id="zhaoqiang")
    board = await load_board(supervisor, load_policy(bot.settings.policy), TZ, clock.now,
                             clock.now + timedelta(hours=1))
    return {"待办": await bot.say("wangwu", "待办"),
            "查询": await bot.say("wangwu", "查询 黔江非遗"),
            "board": "\n".join(f.title for f in board.followups),
            "scan": "\n".join(await scan_days(bot, date(2024, 10, 24), date(2024, 11, 6)))}


async def test_titles_are_rendered_from_their_data_when_read(bot: Harness,
                                                            clock: Clock) -> None:  # noqa: F811
    await opened(bot)
    row = await Deadline.get(kind="platform_change")
    assert row.title_data == {"name": "黔江非遗", "platform": "wechat_service", "id": 1,
                              "filing_kind": "open"}
    title = "黔江非遗（微信服务号）备案 #1 在平台完成开设"
    assert title_of(row) == row.title == title  # the stored copy comes from the same message
    approved = [t for t in await bot.texts("wangwu") if "后续事项" in t]
    assert approved and "黔江非遗（微信服务号）备案 #1 向社会公告（本账号）" in approved[-1]
    # the stored text is not what readers show: change it, and every reader still renders
    await Deadline.all().update(title=STORED)
    for where, text in (await shown(bot, clock)).items():
        assert title in text and STORED not in text, where


async def test_rows_from_before_the_data_show_their_stored_title(bot: Harness,
                                                                clock: Clock) -> None:  # noqa: F811
    await opened(bot)
    await Deadline.filter(kind="platform_change").update(title_data=None, title=STORED)
    for where, text in (await shown(bot, clock)).items():
        assert STORED in text, where
        assert "黔江非遗（微信服务号）备案 #1 向社会公告" in text, where  # the row with data


def test_a_title_renders_each_kind_from_its_parts() -> None:
    base = {"name": "平安黔江", "platform": "weibo", "id": 7}
    assert deadline_title("report_change", base, "") \
        == "平安黔江（新浪微博）备案 #7 账号名称、管理队伍或维护方式变更报主管单位备案"
    assert "临时下线不超过 15 天" in deadline_title("back_online", {**base, "days": 15}, "")
    assert deadline_title("password_change", {"name": "平安黔江", "platform": "weibo",
                                               "names": ["张三", "李四"]}, "") \
        == "平安黔江（新浪微博）管理员 张三、李四 离任，立即更换密码并收回权限和设备"
    assert deadline_title("announce", None, "存量标题") == "存量标题"


async def test_a_row_whose_data_does_not_render_shows_its_stored_title(
        bot: Harness, clock: Clock, caplog: pytest.LogCaptureFixture,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A hand-made row (data a message no longer takes: no platform, an unknown filing
    kind) shows its stored title everywhere; the scan still reminds of every other row,
    and the warning is logged once, not on every read."""
    monkeypatch.setattr(closers, "_unrenderable", set(), raising=False)  # once a process
    await opened(bot)
    await Deadline.filter(kind="platform_change").update(
        title_data={"name": "黔江非遗", "id": 1, "filing_kind": "no_such_kind"}, title=STORED)
    with caplog.at_level(logging.WARNING, logger="handlers.registry.closers"):
        for where, text in (await shown(bot, clock)).items():
            assert STORED in text, where
            assert "黔江非遗（微信服务号）备案 #1 向社会公告" in text, where  # the good row
    warned = [r for r in caplog.records if r.name == "handlers.registry.closers"]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
