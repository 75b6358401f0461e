"""`查询`, `我的账号`, `台账` seen by an editor, a chief and a supervisor
(R-ACC-8, R-UPD, R-SEC-1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ledger import Member, set_team
from handlers.common import lookup
from models.org import Account
from tests.conftest import Harness

NOW = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)
MOBILE = "13800000003"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.clock.utcnow", lambda: NOW)


@pytest.fixture
async def wenlv(bot: Harness) -> Account:
    account = await Account.get(name="黔江文旅")
    account.last_update_at = NOW - timedelta(days=9)
    account.password_changed_at = NOW - timedelta(days=80)
    account.intro = "黔江文化旅游资讯"
    await account.save()
    await set_team(account, [Member("leader", "刘芳", "副主任", "023-79223456", "13800000001"),
                             Member("admin", "王五", "科员", "023-79223458", MOBILE)])
    return account


async def test_query_shows_status_freshness_password_and_work(bot: Harness,
                                                              wenlv: Account) -> None:
    """rule R-UPD-1: 9 days against 7; rule R-SEC-1: 3 months from 80 days ago."""
    await bot.say("wangwu", "投稿 黔江文旅\n标题\n正文。")
    await bot.say("wangwu", "变更 黔江文旅\n简介：新简介")
    reply = await bot.say("wangwu", "查询 黔江文旅")
    assert "**黔江文旅（微信订阅号）** · 正常" in reply
    assert "9 天前" in reply and "不超过 7 天" in reply and "已超期 2 天" in reply
    assert "12 天后到期" in reply  # 2024-07-09 + 3 months = 2024-10-09
    assert "#1 标题（审核中）" in reply
    assert "备案 #1（变更 黔江文旅（微信订阅号））（等待主办单位主要负责人审批）" in reply
    assert "简介：黔江文化旅游资讯" in reply and MOBILE in reply


async def test_video_limit_and_open_deadlines(bot: Harness) -> None:
    """rule R-UPD-2: a video account's limit is 10 days; deadlines of filings are listed."""
    await bot.say("lisi", "关停 清新黔江\n理由：整合")
    await bot.tap("chenwei", bot.key(await bot.live_card("chenwei"), "同意"))
    await bot.tap("zhaoqiang", bot.key(await bot.live_card("zhaoqiang"), "同意"))
    reply = await bot.say("lisi", "查询 清新黔江")
    assert "· 关停" in reply and "不超过 10 天" in reply and "暂无发布记录" in reply
    # rule R-ACC-2: due 3 workdays after the platform step; each line names its command
    assert "向社会公告（本账号）：2024-10-30 前（R-ACC-2） → 公告发布后回复“已公告 #1 网址”" in reply
    assert "平台完成关停：2024-10-27 前（R-ACC-3） → 平台操作完成后回复“已操作 #1”" in reply


@pytest.mark.parametrize(("user", "sees"), [("sunli", False), ("wangwu", True),
                                            ("chenwei", True), ("zhaoqiang", True)])
async def test_phones_only_for_the_unit_and_its_supervisors(bot: Harness, wenlv: Account,
                                                            user: str, sees: bool) -> None:
    reply = await bot.say(user, "查询 黔江文旅")
    assert "王五，科员" in reply
    assert (MOBILE in reply) is sees
    assert ("电话仅本单位及主管单位可见" in reply) is not sees
    ledger = await bot.say(user, "台账 黔江区文化和旅游发展委员会")
    if user == "sunli":
        assert "只能查看本单位" in ledger
    else:
        assert "黔江文旅（微信订阅号）" in ledger and MOBILE in ledger


async def test_fuzzy_names_are_suggested(bot: Harness) -> None:
    assert "黔江文旅" in await bot.say("wangwu", "查询 黔江文游")
    assert "请注明平台" in await bot.say("wangwu", "查询 平安黔江")
    assert "查询格式" in await bot.say("wangwu", "查询")


async def test_a_star_for_a_name_is_looked_up_as_any_name(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tortoise writes a "*" into the SQL, not as a parameter: the first lookup of a new
    # process (no statement planned yet) must still find, or not find, the account
    monkeypatch.setattr(lookup._ACCOUNTS_NAMED, "_plans", {})
    for _ in range(2):
        assert "没有找到账号“*”" in await bot.say("wangwu", "查询 *")
    assert "黔江文旅" in await bot.say("wangwu", "查询 黔江文旅")
    assert "没有找到账号“*”" in await bot.say("wangwu", "查询 *")


async def test_ledger_for_editor_and_supervisor(bot: Harness) -> None:
    own = await bot.say("wangwu", "台账")
    assert "黔江区文化和旅游发展委员会政务新媒体台账**（共 2 个）" in own
    assert "平安黔江" not in own
    everything = await bot.say("zhaoqiang", "台账")
    assert "及下级单位" in everything and "（共 16 个）" in everything
    assert "平安黔江（新浪微博） · 黔江区公安局" in everything
    assert "黔江区公安局政务新媒体台账**（共 6 个）" in await bot.say("zhaoqiang", "台账 公安")
    assert "没有找到单位" in await bot.say("zhaoqiang", "台账 不存在的局")


async def test_my_accounts(bot: Harness) -> None:
    reply = await bot.say("sunli", "我的账号")
    assert "（共 4 个）" in reply and "平安黔江（西瓜视频）" in reply
    assert "（共 0 个）" in await bot.say("zhaoqiang", "我的账号")


async def test_help_lists_registry_commands(bot: Harness) -> None:
    reply = await bot.say("wangwu", "帮助 全部")
    for command in ("查询 账号名", "我的账号", "台账 [单位]", "开设 账号名", "补录", "变更 账号名",
                    "暂停 / 恢复 / 关停 / 注销", "紧急关停 账号名 原因", "同意备案 #备案号"):
        assert command in reply


async def test_org_file_reload_keeps_registry_fields(bot: Harness, wenlv: Account) -> None:
    """The org file sets name/platform/unit/content/admins; the form's other fields stay."""
    from bot import demo, orgfile

    await orgfile.apply(orgfile.parse(demo.DEMO_FILE.read_text(encoding="utf-8")))
    account = await Account.get(id=wenlv.id)
    assert account.intro == "黔江文化旅游资讯" and account.last_update_at is not None
