"""A filing's follow-ups can be met and recorded (issue 14): rules R-ACC-2, R-ACC-3, R-ACC-4.

The clock is moved by hand (bot.clock.utcnow) and the reminder scan is driven with it, so the
whole life of a filing, from approval to the end of its notice period, runs in one test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.scheduler import run_scan
from models.deadlines import Deadline
from models.org import Account
from models.system import AuditEvent, Outbox
from tests.conftest import Harness
from tests.followups_support import quiet_accounts
from tests.test_handlers_filings import OPEN, approve_both

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)  # Fri 27 Sep 2024, 10:00 in the office


class Clock:
    def __init__(self) -> None:
        self.now = START

    def at(self, month: int, day: int, hour: int = 10) -> datetime:
        self.now = datetime(2024, month, day, hour, tzinfo=TZ).astimezone(UTC)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr("bot.clock.utcnow", lambda: c.now)
    return c


async def scan_days(bot: Harness, first: date, last: date) -> list[str]:
    """One scan at 09:30 every day; every reminder line sent about filing #1."""
    found: list[str] = []
    day = first
    while day <= last:
        mark = await Outbox.all().order_by("-id").first()
        when = datetime(day.year, day.month, day.day, 9, 30, tzinfo=TZ).astimezone(UTC)
        await run_scan(bot.settings, when)
        for row in await Outbox.filter(id__gt=mark.id if mark else 0):
            found += [line for line in row.payload.get("text", "").splitlines()
                      if "备案 #1" in line]
        day += timedelta(days=1)
    return found


async def opened(bot: Harness) -> None:
    await quiet_accounts(updated=START)  # only the filing's own follow-ups are chased
    await bot.say("wangwu", OPEN)
    await approve_both(bot, "chenwei")
    await Account.filter(name="黔江非遗").update(last_update_at=START,
                                               password_changed_at=START)


async def test_open_recorded_on_time_is_never_chased(bot: Harness, clock: Clock) -> None:
    """The issue's done-when: an approved 开设 whose follow-ups are all recorded on time
    produces no overdue or escalation message, through the end of its notice period."""
    await opened(bot)
    clock.at(9, 29)  # Sun 29 Sep, a 调休 workday: the account goes live on the platform
    reply = await bot.say("wangwu", "已操作 #1")
    # rule R-ACC-2: 3 workdays from the change itself (001 Art.14): Mon 30 Sep, Tue 8, Wed 9 Oct
    assert "2024-09-29" in reply and "2024-10-09 前" in reply and "已公告 #1 网址" in reply
    clock.at(10, 8)
    reply = await bot.say("wangwu", "已公告 #1 https://mp.weixin.qq.com/s/qjfy")
    assert "公告期至 2024-10-23" in reply  # ≥15 days, recorded, not chased
    lines = await scan_days(bot, date(2024, 9, 27), date(2024, 11, 30))
    assert lines == []
    assert await Deadline.filter(done_at__isnull=True).count() == 0
    audit = await AuditEvent.filter(action__in=("filing.platform_done", "filing.announced")) \
        .values_list("action", flat=True)
    assert sorted(audit) == ["filing.announced", "filing.platform_done"]


async def test_unrecorded_follow_ups_are_chased_with_their_command(bot: Harness,
                                                                  clock: Clock) -> None:
    """The control: nothing recorded, the ladder runs, and every line names its command."""
    await opened(bot)
    lines = await scan_days(bot, date(2024, 10, 24), date(2024, 11, 6))
    assert any("超期未完成" in line for line in lines)
    assert all("已操作 #1" in line or "已公告 #1 网址" in line for line in lines)


async def test_todo_and_query_list_open_follow_ups_and_the_notice(bot: Harness,
                                                                 clock: Clock) -> None:
    await opened(bot)
    todo = await bot.say("wangwu", "待办")
    assert "备案后续事项（2）" in todo and "已操作 #1" in todo and "已公告 #1 网址" in todo
    await bot.say("wangwu", "已操作 #1")
    await bot.say("wangwu", "已公告 #1 https://mp.weixin.qq.com/s/qjfy")
    assert "备案后续事项" not in await bot.say("wangwu", "待办")
    info = await bot.say("wangwu", "查询 黔江非遗")
    assert "公告期" in info and "2024-09-27 至 2024-10-12" in info
    assert "https://mp.weixin.qq.com/s/qjfy" in info and "待完成事项" not in info


async def test_card_button_records_the_platform_step(bot: Harness, clock: Clock) -> None:
    await opened(bot)
    card = await bot.live_card("wangwu")
    assert card["title"].startswith("后续事项：备案 #1")
    assert "已公告 #1 网址" in card["body_md"]
    await bot.tap("wangwu", bot.key(card, "平台已操作"))
    row = await Deadline.get(kind="platform_change")
    assert row.done_by == "wangwu" and row.evidence == {"day": "2024-09-27", "note": ""}
    again = await bot.say("wangwu", "已操作 #1")
    assert "已登记（2024-09-27），无需再次登记" in again


async def test_bad_follow_up_records_change_nothing(bot: Harness, clock: Clock) -> None:
    await opened(bot)
    assert "登记公告格式" in await bot.say("wangwu", "已公告")
    assert "没有找到备案" in await bot.say("wangwu", "已操作 #9")
    assert "还没到" in await bot.say("wangwu", "已操作 #1 2024-12-01")
    assert "早于" in await bot.say("wangwu", "已操作 #1 2024-09-01")
    assert "1 处发布" in await bot.say("wangwu", "已公告 #1 没有网址")
    assert "不是您单位" in await bot.say("zhoujun", "已操作 #1")
    assert "没有待登记的报主管单位备案" in await bot.say("wangwu", "已报备 #1")
    assert await Deadline.filter(done_at__isnull=False).count() == 0


async def test_jingyuan_notice_also_on_the_county_website(db: None, clock: Clock) -> None:
    """001 Art.14: the notice goes on the account and the county government website."""
    bot = Harness(Settings(database_url="sqlite://:memory:", policy="jingyuan"))
    await opened(bot)
    await bot.say("wangwu", "已操作 #1")
    refused = await bot.say("wangwu", "已公告 #1 https://mp.weixin.qq.com/s/x")
    assert "2 处发布：本账号、县人民政府网站" in refused
    reply = await bot.say("wangwu", "已公告 #1 https://mp.weixin.qq.com/s/x "
                                    "https://www.nxjy.gov.cn/gg/1")
    assert "县人民政府网站：https://www.nxjy.gov.cn/gg/1" in reply


async def test_luju_opening_has_no_notice_but_closing_does(db: None, clock: Clock) -> None:
    """004 Art.15: the ≥15-workday notice is for 变更 / 关停 / 注销 only."""
    bot = Harness(Settings(database_url="sqlite://:memory:", policy="luju"))
    await opened(bot)
    kinds = set(await Deadline.filter(subject="filing:1").values_list("kind", flat=True))
    assert kinds == {"platform_change"}
    assert "没有待登记的公告" in await bot.say("wangwu", "已公告 #1 https://a.gov.cn/1")
    await bot.say("wangwu", "关停 黔江文旅\n理由：职能调整")
    await approve_both(bot, "chenwei")
    kinds = set(await Deadline.filter(subject="filing:2").values_list("kind", flat=True))
    assert kinds == {"announce", "platform_change"}
    await bot.say("wangwu", "已操作 #2")
    reply = await bot.say("wangwu", "已公告 #2 https://mp.weixin.qq.com/s/close")
    # 15 workdays from Fri 27 Sep: 29, 30 Sep, 8–12 Oct (12th a 调休 workday), 14–18, 21–23
    assert "公告期至 2024-10-23" in reply and "15个工作日" in reply
