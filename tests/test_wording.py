"""Wording an office worker reads every day: decided cards say so, "today" not "0 天前",
dates without minutes, and no English fragments inside Chinese sentences."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.clock import utcnow
from handlers.registry.filing_effects import end_of
from models.deadlines import Deadline
from models.org import Account
from tests.conftest import Harness
from tests.test_reminders import scan

TZ = ZoneInfo("Asia/Shanghai")
DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n正文。"


async def test_decided_cards_are_not_titled_pending(bot: Harness) -> None:
    await bot.say("wangwu", DRAFT)
    card = await bot.live_card("zhangming")
    assert card["title"] == "待审稿件 #1：秋季旅游节开幕"
    await bot.tap("zhangming", bot.key(card, "通过"))
    decided = (await bot.cards("zhangming"))[-1]
    assert decided["title"] == "已通过 · 稿件 #1：秋季旅游节开幕" and not decided["buttons"]
    await bot.say("liufang", "退回 #1 标题要改")
    returned = (await bot.cards("liufang"))[-1]
    assert returned["title"] == "已退回 · 稿件 #1：秋季旅游节开幕"


async def test_updated_today_reads_today(bot: Harness) -> None:
    await Account.filter(name="黔江文旅").update(last_update_at=utcnow())
    reply = await bot.say("wangwu", "查询 黔江文旅")
    assert "最近更新：今天" in reply and "0 天前" not in reply
    ledger = await bot.say("zhangming", "台账")
    assert "0 天前" not in ledger


async def test_date_deadlines_show_no_minutes(bot: Harness) -> None:
    account = await Account.get(name="黔江文旅")
    await Account.all().update(status="suspended")
    await Deadline.create(kind="announce", rule="R-ACC-2", unit_id="qj-wlw", account=account,
                          subject="filing:9", title="黔江文旅变更公示",
                          due_at=end_of(date(2025, 11, 13), TZ).astimezone(UTC))
    text = " ".join((await scan(bot, datetime(2025, 11, 13, 9, 0, tzinfo=TZ))).values())
    assert "11月13日" in text and "23:59" not in text


def test_no_english_system_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{tmp_path / 'w.db'}"}
    assert main(["db", "upgrade"], env) == 0
    assert main(["org", "load", str(tmp_path / "nowhere.toml")], env) == 2
    err = capsys.readouterr().err
    assert "文件或目录不存在" in err and "No such file" not in err
    assert main(["accounts", "import", str(tmp_path / "none.csv")], env) == 1
    err = capsys.readouterr().err
    assert "文件或目录不存在" in err and "No such file" not in err
    assert main(["accounts", "export", "--format", "csv", "--output",
                 str(tmp_path / "no" / "dir" / "x.csv")], env) == 1
    err = capsys.readouterr().err
    assert "不存在" in err and "No such file" not in err
    assert main(["audit", "verify"], {**env, "GOVMEDIA_PORT": "http"}) == 2
    err = capsys.readouterr().err
    assert "应为整数" in err and "int" not in err
