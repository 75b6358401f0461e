"""`govmedia remind --now` chases the follow-ups (rules R-FIX-1, R-MSG-1, R-INT-1, R-ACC-14,
R-DUT-1) on every database, exactly as the scheduler's scan would."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import demo
from bot.cli import main
from bot.config import Settings
from bot.db import close_db, init_db
from models.reminders import ReminderLog
from models.system import Outbox
from tests import databases
from tests.conftest import Harness
from tests.followups_support import quiet_accounts, say_at
from tests.test_reminders import at


def test_remind_now_sends_each_followup_once(backend: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite://{tmp_path / 'f.db'}" if backend == "sqlite" else databases.URLS[backend]

    async def prepare() -> None:
        if backend == "sqlite":
            await init_db(url)
        else:
            await databases.open_clean(backend)
        try:
            await demo.seed_if_empty()
            await quiet_accounts("黔江文旅", updated=at(9, 22, 9))
            bot = Harness(Settings(database_url=url, outbox_poll_seconds=0.05))
            for user, text in (("zhaoqiang", "整改 黔江文旅 简介电话停用 1"),
                               ("wangwu", "留言 黔江文旅 网友询问开放时间"),
                               ("chenwei", "解读 关于文旅消费的措施 2025-08-25"),
                               ("sunli", "仿冒 抖音 黔江文旅 冒用名义")):
                assert "已" in await say_at(bot, user, text, at(9, 24, 10)), text
            await Outbox.all().delete()
        finally:
            await close_db()

    async def sent() -> tuple[list[str], list[str]]:
        await init_db(url, generate_schemas=False)
        try:
            return ([r.payload["text"] for r in await Outbox.all().order_by("id")],
                    sorted(await ReminderLog.all().values_list("kind", flat=True)))
        finally:
            await close_db()

    asyncio.run(prepare())
    env = {"GOVMEDIA_DATABASE_URL": url}
    # Fri Sep 26: all but the message's answer (due Sep 30, Sun Sep 28 a workday) are
    # overdue, and National Day is 5 days off
    assert main(["remind", "--now", "2025-09-26T08:45"], env) == 0
    assert "新记录 5 条" in capsys.readouterr().out
    texts, kinds = asyncio.run(sent())
    assert kinds == ["counterfeit", "duty", "fix", "interpretation", "message_ack"]
    joined = "\n".join(texts)
    for phrase in ("整改 1", "留言 1", "解读 1", "仿冒 1", "国庆节"):
        assert phrase in joined, phrase
    assert main(["remind", "--now", "2025-09-26T08:46"], env) == 0
    assert "新记录 0 条" in capsys.readouterr().out
