"""What the registry must carry (R-ACC-11 公众号 main menus in 黔江, R-ACC-12 app support and
集约 apps, R-ACC-13 the vendor's confidentiality agreement): flagged on the filing card for the
approvers and listed under 登记缺项 in `查询`, each per the profile's seed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Settings
from tests.conftest import Harness
from tests.test_filing_chains import city_above
from tests.test_handlers_filings import approve_both

NOW = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)
WECHAT = "开设 黔江非遗\n平台：微信服务号\n理由：非遗宣传需要"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.clock.utcnow", lambda: NOW)


@pytest.fixture(autouse=True)
async def city(db: None) -> None:
    """黔江 and 六安 file through two stages above the unit (R-ACC-1: 003 Art.8, 002 Art.3)."""
    await city_above()


def harness(policy: str) -> Harness:
    return Harness(Settings(database_url="sqlite://:memory:", policy=policy))


async def test_qianjiang_wechat_without_the_three_menus_is_flagged(db: None) -> None:
    """rule R-ACC-11 (003 Art.7(4)): the card and 查询 name the missing menus."""
    bot = harness("qianjiang")
    await bot.say("wangwu", WECHAT + "\n主菜单：政务公开、互动交流")
    body = (await bot.live_card("chenwei"))["body_md"]
    assert "主菜单缺少政务服务" in body and "R-ACC-11" in body
    await approve_both(bot, "chenwei")
    info = await bot.say("wangwu", "查询 黔江非遗")
    assert "登记缺项" in info and "主菜单缺少政务服务" in info
    await bot.say("wangwu", "变更 黔江非遗\n主菜单：政务公开、政务服务、互动交流\n理由：补齐菜单")
    assert "R-ACC-11" not in (await bot.live_card("chenwei"))["body_md"]
    await approve_both(bot, "chenwei")
    assert "登记缺项" not in await bot.say("wangwu", "查询 黔江非遗")


async def test_other_seeds_require_no_menus(db: None) -> None:
    """rule R-ACC-11 is 黔江's alone: the default profile flags no menus."""
    bot = harness("default")
    await bot.say("wangwu", WECHAT)
    assert "R-ACC-11" not in (await bot.live_card("chenwei"))["body_md"]


@pytest.mark.parametrize(("policy", "flagged", "clean"), [
    ("default", ["支持IPv6"], ["适老化", "无障碍"]),
    ("luan", ["支持IPv6", "适老化", "无障碍"], []),
])
async def test_an_app_is_checked_against_its_seed(db: None, policy: str, flagged: list[str],
                                                   clean: list[str]) -> None:
    """rule R-ACC-12: IPv6 everywhere (001 Art.12, 004 Art.11); 002 Art.4 adds 适老化/无障碍;
    opening an app asks why no existing app will do (严禁“一单位一应用”)."""
    bot = harness(policy)
    await bot.say("wangwu", "开设 黔江文旅\n平台：移动客户端\n理由：服务需要")
    body = (await bot.live_card("chenwei"))["body_md"]
    line = next(x for x in body.splitlines() if "R-ACC-12：须全面支持" in x)
    assert all(w in line for w in flagged) and not any(w in line for w in clean)
    assert "一单位一应用" in body


async def test_a_supported_app_is_not_flagged_for_support(db: None) -> None:
    """rule R-ACC-12: all three recorded as 是 in 六安: no support flag."""
    bot = harness("luan")
    await bot.say("wangwu", "开设 黔江文旅\n平台：APP\n支持IPv6：是\n适老化：是\n无障碍：是\n"
                            "理由：服务需要")
    assert "须全面支持" not in (await bot.live_card("chenwei"))["body_md"]


async def test_a_vendor_without_an_agreement_is_flagged(db: None) -> None:
    """rule R-ACC-13 (000 Art.2, 001 Art.7, 003 Art.14(3)): the agreement date is recorded."""
    bot = harness("default")
    vendor = "\n外包单位：某传媒公司\n外包单位资质：某资质"
    await bot.say("wangwu", WECHAT + vendor + "\n保密协议签订日期：2024-09-01")
    assert "未登记保密协议" not in (await bot.live_card("chenwei"))["body_md"]
    await bot.say("wangwu", WECHAT.replace("黔江非遗", "黔江文博") + vendor)
    assert "未登记保密协议" in (await bot.live_card("chenwei"))["body_md"]
