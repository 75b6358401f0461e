"""A website taken offline for rectification (R-WEB-1, 004 Art.7): a 暂停 filing, at most
once a calendar year, back within 30 days (a deadline the reminder scan chases), met when a
恢复 filing is approved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.deadlines import Deadline
from models.org import Account, Person
from tests.conftest import Harness
from tests.test_handlers_filings import approve_both

SITE = "黔江文旅网"
NOW = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.clock.utcnow", lambda: NOW)


async def website() -> Account:
    site = await Account.create(name=SITE, platform="website", unit_id="qj-wlw")
    await site.admins.add(await Person.get(id="wangwu"))
    return site


async def test_offline_then_back_within_thirty_days(bot: Harness) -> None:
    """rule R-WEB-1: limits on the card; a back-online deadline 30 days on; met by 正常."""
    site = await website()
    await bot.say("wangwu", f"暂停 {SITE}\n理由：栏目整改")
    body = (await bot.live_card("chenwei"))["body_md"]
    assert "不得超过 30 天" in body and "门户网站发布公告" in body and "此前未临时下线" in body
    await approve_both(bot, "chenwei")
    assert (await Account.get(id=site.id)).status == "suspended"
    due = await Deadline.get(account_id=site.id, kind="back_online")
    assert (due.rule, due.done_at) == ("R-WEB-1", None)
    assert due.due_at.date() - NOW.date() in (timedelta(days=30), timedelta(days=31))
    assert "恢复上线" in await bot.say("wangwu", f"查询 {SITE}")

    await bot.say("wangwu", f"恢复 {SITE}\n理由：整改完成")
    await approve_both(bot, "chenwei")
    assert (await Account.get(id=site.id)).status == "normal"
    assert (await Deadline.get(id=due.id)).done_at is not None


async def test_a_second_take_down_in_a_year_is_flagged(bot: Harness) -> None:
    """rule R-WEB-1: 每年不得超过1次 — the approvers see the year's count."""
    await website()
    await bot.say("wangwu", f"暂停 {SITE}\n理由：栏目整改")
    await approve_both(bot, "chenwei")
    await bot.say("wangwu", f"恢复 {SITE}\n理由：整改完成")
    await approve_both(bot, "chenwei")
    await bot.say("wangwu", f"暂停 {SITE}\n理由：再次整改")
    body = (await bot.live_card("chenwei"))["body_md"]
    assert "本年度已临时下线 1 次，每年不得超过 1 次" in body


async def test_other_accounts_have_no_offline_rule(bot: Harness) -> None:
    """rule R-WEB-1 is for websites: a 公众号's 暂停 carries no such flag or deadline."""
    await bot.say("wangwu", "暂停 黔江文旅\n理由：调整")
    assert "临时下线" not in (await bot.live_card("chenwei"))["body_md"]
    await approve_both(bot, "chenwei")
    assert not await Deadline.exists(kind="back_online")
