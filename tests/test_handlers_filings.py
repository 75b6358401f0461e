"""Filings (备案) through the chat and both approval cards to the registry (R-ACC-1..9, R-SEC-3)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from models.deadlines import Deadline
from models.org import Account
from models.registry import Filing, FilingState, TeamMember
from tests.conftest import Harness

TZ = ZoneInfo("Asia/Shanghai")
# Friday before the 2024 National Day week: Sun 29 Sep is a 调休 workday, 1–7 Oct are off
NOW = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)
OPEN = """开设 黔江非遗
平台：微信服务号
承办单位：区文化旅游委宣传科
简介：黔江非物质文化遗产保护与传播
网址：https://mp.weixin.qq.com/qjfy
是否认证：是
内容类型：图文
分管领导：刘芳，副主任，023-79223456，13800000001
科室负责人：张明，宣传科科长，023-79223457，13800000002
管理员：王五，科员，023-79223458，13800000003
理由：非遗宣传需要"""


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.clock.utcnow", lambda: NOW)


async def approve_both(bot: Harness, chief: str, supervisor: str = "zhaoqiang") -> None:
    """The unit chief taps 同意, then the supervisor taps 同意 (R-ACC-1); where the profile's
    chain has a second stage above (003 Art.8, 002 Art.3), the city's supervisor
    (tests/test_filing_chains.city_above) taps it too."""
    card = await bot.live_card(chief)
    assert await bot.tap(chief, bot.key(card, "同意")) == ""
    card = await bot.live_card(supervisor)
    assert await bot.tap(supervisor, bot.key(card, "同意")) == ""
    waiting = await Filing.filter(state=FilingState.SUPERVISOR, step=2).order_by("-id").first()
    if waiting is not None:
        card = await bot.live_card("qinlan")
        assert await bot.tap("qinlan", bot.key(card, "同意")) == ""


async def deadlines(filing_id: int) -> dict[str, tuple[str, date]]:
    rows = await Deadline.filter(subject=f"filing:{filing_id}").order_by("id")
    return {d.kind: (d.rule, d.due_at.astimezone(TZ).date()) for d in rows}


async def test_open_needs_chief_then_supervisor_and_writes_deadlines(bot: Harness) -> None:
    """rule R-ACC-1 approval order; rule R-ACC-2/R-ACC-3 deadlines across National Day."""
    reply = await bot.say("wangwu", OPEN)
    assert "备案 #1" in reply and "陈伟" in reply
    card = await bot.live_card("chenwei")
    assert card["title"] == "备案审批：备案 #1（开设 黔江非遗（微信服务号））"
    assert "管理员：王五，科员，023-79223458，13800000003" in card["body_md"]
    assert "有明确的管理机构" in card["body_md"]  # rule R-ACC-10 materials checklist
    assert await bot.tap("chenwei", bot.key(card, "同意")) == ""
    assert (await bot.cards("chenwei"))[-1]["status"].startswith("已同意 · 陈伟")
    assert not await Account.exists(name="黔江非遗")  # not before the supervisor
    assert "已报 赵强" in (await bot.texts("wangwu"))[-1]

    card = await bot.live_card("zhaoqiang")
    assert "主办单位主要负责人审批 · 陈伟 · 同意" in card["body_md"]
    assert await bot.tap("zhaoqiang", bot.key(card, "同意")) == ""
    account = await Account.get(name="黔江非遗", platform="wechat_service")
    assert (account.unit_id, account.status, account.certified) == ("qj-wlw", "normal", True)
    assert account.opened_on == date(2024, 9, 27) and account.organizer == "区文化旅游委宣传科"
    assert [p.id for p in await account.admins.all()] == ["wangwu"]
    assert await TeamMember.filter(account=account).count() == 3
    # the notice is due 3 workdays after the platform step (001 Art.14 "信息变更后"): until
    # that step is recorded, after its own last day (Sun 27 Oct → Wed 30 Oct); the notice
    # period is no deadline (it runs by itself once the notice is up)
    assert await deadlines(1) == {
        "announce": ("R-ACC-2", date(2024, 10, 30)),
        "platform_change": ("R-ACC-3", date(2024, 10, 27)),
    }
    told = [t for t in await bot.texts("wangwu") if "已批准" in t][-1]
    assert "2024-10-27" in told and "已操作 #1" in told and "已公告 #1 网址" in told
    assert (await Filing.get(id=1)).state == FilingState.APPROVED


async def test_luan_announcement_lasts_thirty_workdays(db: None) -> None:
    """rule R-ACC-2: 002 Art.3 counts the announcement in workdays."""
    from tests.test_filing_chains import city_above

    bot = Harness(Settings(database_url="sqlite://:memory:", policy="luan"))
    await city_above()  # 002 Art.3: 市民政局, then 市主管单位 (R-ACC-1)
    await bot.say("wangwu", OPEN)
    await approve_both(bot, "chenwei")
    assert "announcement_period" not in await deadlines(1)
    await bot.say("wangwu", "已操作 #1")
    # 3 workdays from Fri 27 Sep, inherited from default: Sun 29 Sep (调休), Mon 30, Tue 8 Oct
    assert (await deadlines(1))["announce"] == ("R-ACC-2", date(2024, 10, 8))
    reply = await bot.say("wangwu", "已公告 #1 https://mp.weixin.qq.com/s/luan")
    # rule R-ACC-2: 30 workdays from the notice (Fri 27 Sep) end on Wed 13 Nov (002 Art.3); recorded, not chased
    assert "公告期至 2024-11-13" in reply and "30个工作日" in reply


async def test_rule_checks_are_flagged_not_refused(bot: Harness) -> None:
    """rule R-ACC-5 second account on a platform; rule R-ACC-6 letters and digits in names."""
    reply = await bot.say("wangwu", "开设 黔江文旅2024\n平台：微信订阅号\n外包单位：某传媒公司")
    assert "R-ACC-5" in reply and "R-ACC-6" in reply
    body = (await bot.live_card("chenwei"))["body_md"]
    assert "已有账号：黔江文旅" in body and "含字母、数字" in body and "R-ACC-13" in body


async def test_team_change_admin_leaves_creates_password_tasks(bot: Harness) -> None:
    """rule R-SEC-3: 孙丽 leaves; each of the four accounts she held changes its password now."""
    reply = await bot.say("zhoujun", "变更 平安黔江（新浪微博）\n管理员：周军，科长，023-1234567，"
                                     "13900000000\n离任：孙丽\n理由：人员调整")
    assert "备案 #1" in reply and "郑宇" in reply
    await approve_both(bot, "zhengyu")
    weibo = await Account.get(name="平安黔江", platform="weibo")
    assert [p.id for p in await weibo.admins.all()] == ["zhoujun"]
    assert not await Account.filter(admins__id="sunli").exists()
    tasks = await Deadline.filter(kind="password_change").order_by("account_id")
    assert len(tasks) == 4 and {t.rule for t in tasks} == {"R-SEC-3"}
    assert all(t.due_at == NOW for t in tasks) and "孙丽" in tasks[0].title
    due = await deadlines(1)
    # rule R-ACC-4: 7 workdays from Fri 27 Sep ends on Sat 12 Oct (a 调休 workday)
    assert due["report_change"] == ("R-ACC-4", date(2024, 10, 12))
    assert "announce" not in due


async def test_team_replacement_tasks_only_the_account_changed(bot: Harness) -> None:
    await bot.say("lisi", "变更 黔江文旅\n管理员：李四，科员")
    await approve_both(bot, "chenwei")
    tasks = await Deadline.filter(kind="password_change").prefetch_related("account")
    assert [t.account.name for t in tasks] == ["黔江文旅"]
    assert "王五" in tasks[0].title


async def test_rename_is_announced(bot: Harness) -> None:
    await bot.say("wangwu", "变更 黔江文旅\n新名称：黔江文化旅游\n理由：统一名称")
    await approve_both(bot, "chenwei")
    assert await Account.exists(name="黔江文化旅游", platform="wechat_subscription")
    assert set(await deadlines(1)) == {"announce", "platform_change", "report_change"}


@pytest.mark.parametrize(("word", "status"), [("暂停", "suspended"), ("关停", "closed"),
                                              ("注销", "cancelled")])
async def test_status_filings(bot: Harness, word: str, status: str) -> None:
    assert "理由" in await bot.say("wangwu", f"{word} 黔江文旅")
    await bot.say("wangwu", f"{word} 黔江文旅\n理由：职能调整")
    assert "正在审批中" in await bot.say("wangwu", f"{word} 黔江文旅\n理由：再来一次")
    await approve_both(bot, "chenwei")
    assert (await Account.get(name="黔江文旅")).status == status
    assert set(await deadlines(1)) == {"announce", "platform_change"}
    again = await bot.say("wangwu", f"{word} 黔江文旅\n理由：重复")
    assert "不能" in again and await Filing.all().count() == 1


async def test_backfill_records_without_deadlines(bot: Harness) -> None:
    await bot.say("wangwu", "补录 黔江旅游快讯\n平台：快手\n开设时间：2021-03-01\n运行状态：暂停")
    await approve_both(bot, "chenwei")
    account = await Account.get(name="黔江旅游快讯")
    assert (account.platform, account.status, account.opened_on) == (
        "kuaishou", "suspended", date(2021, 3, 1))
    assert await Deadline.all().count() == 0


async def test_reject_needs_reason_and_changes_nothing(bot: Harness) -> None:
    await bot.say("wangwu", OPEN)
    card = await bot.live_card("chenwei")
    assert "退回备案 #1 理由" in await bot.tap("chenwei", bot.key(card, "退回"))
    assert "写明理由" in await bot.say("chenwei", "退回备案 #1")
    assert "已退回" in await bot.say("chenwei", "退回备案＃1 名称需与职责相关")
    assert "名称需与职责相关" in (await bot.texts("wangwu"))[-1]
    assert (await bot.cards("chenwei"))[-1]["status"].startswith("已退回 · 陈伟")
    assert "已失效" in await bot.tap("chenwei", bot.key(card, "同意"))
    assert not await Account.exists(name="黔江非遗") and not await bot.cards("zhaoqiang")


async def test_text_approval_and_only_one_of_two_taps_wins(bot: Harness) -> None:
    await bot.say("wangwu", OPEN)
    key = bot.key(await bot.live_card("chenwei"), "同意")
    assert await bot.tap("chenwei", key) == ""
    assert "已失效" in await bot.tap("chenwei", key)
    assert len(await bot.cards("zhaoqiang")) == 1
    assert "不是" in await bot.say("chenwei", "同意备案 #1")  # the next stage is not his
    assert "已同意" in await bot.say("zhaoqiang", "同意备案 #1 同意备案")
    assert "当前已批准" in await bot.say("zhaoqiang", "同意备案 #1")
    assert await Account.filter(name="黔江非遗").count() == 1


async def test_bad_filings_change_nothing(bot: Harness) -> None:
    assert "已有账号" in await bot.say("wangwu", "开设 黔江文旅\n平台：微信订阅号")
    assert "平台：" in await bot.say("wangwu", "开设 黔江新号")
    assert "黔江文旅" in await bot.say("wangwu", "变更 黔江文游\n简介：新简介")  # suggestion
    assert "不属于您所在的单位" in await bot.say("sunli", "变更 黔江文旅\n简介：新简介")
    assert "可以紧急关停该账号" in await bot.say("sunli", "紧急关停 黔江文旅 测试")
    assert "没有看懂" in await bot.say("wangwu", "开设 黔江新号\n平台 抖音")
    assert "不能填写" in await bot.say("wangwu", "开设 黔江新号\n平台：抖音\n最近改密：2024-01-01")
    bad_mobile = "开设 黔江新号\n平台：抖音\n管理员：王五，科员，，123"
    assert "11 位" in await bot.say("wangwu", bad_mobile)
    assert "日期" in await bot.say("wangwu", "开设 黔江新号\n平台：抖音\n开设时间：2024-13-01")
    assert "没有写要变更" in await bot.say("wangwu", "变更 黔江文旅")
    assert "开设 黔江文旅" in await bot.say("wangwu", "开设")  # usage
    assert "没有找到备案" in await bot.tap("liufang", "filing_approve:1:chief")
    assert await Filing.all().count() == 0 and await Deadline.all().count() == 0


async def test_not_an_approver_cannot_tap(bot: Harness) -> None:
    await bot.say("wangwu", OPEN)
    key = bot.key(await bot.live_card("chenwei"), "同意")
    assert "不是" in await bot.tap("liufang", key)
    assert "已失效" in await bot.tap("chenwei", "filing_approve:1:nonsense")
    assert (await Filing.get(id=1)).state == FilingState.CHIEF


async def test_emergency_closure_reports_up_the_chain(bot: Harness) -> None:
    """rule R-ACC-9: closed at once, the chief, the approver and the supervisor are told."""
    reply = await bot.say("wangwu", "紧急关停 黔江文旅 账号疑似被盗")
    assert "已紧急关停" in reply
    assert (await Account.get(name="黔江文旅")).status == "closed"
    for person in ("chenwei", "liufang", "zhaoqiang"):
        assert "账号疑似被盗" in (await bot.texts(person))[-1]
    assert "紧急关停格式" in await bot.say("wangwu", "紧急关停 黔江文旅")
    assert "不能紧急关停" in await bot.say("wangwu", "紧急关停 黔江文旅 再次")
