"""Staff and account security beyond passwords' dates: password reminders state the strength
rule and never ask for the password (rule R-SEC-2); who holds each account's permissions is
recorded and a holder who is not staff is flagged to the chief (rule R-SEC-5); the dates of
the confidentiality check and training per person, from the org file and chat, with a
reminder when someone without them administers an account (rule R-SEC-6)."""

from __future__ import annotations

from datetime import date

import pytest

from bot import orgfile
from models.org import Account, Person
from models.staff import HolderKind, PermissionHolder
from tests.conftest import Harness
from tests.followups_support import last_text, quiet_accounts, say_at
from tests.test_orgfile import BASE
from tests.test_reminders import at, scan


async def test_password_reminders_state_the_strength_rule(bot: Harness) -> None:
    """rule R-SEC-2: "at least two of digits, letters, symbols", and never "send it"."""
    await quiet_accounts("黔江文旅", updated=at(11, 20, 9))
    await Account.filter(name="黔江文旅").update(password_changed_at=at(8, 4, 8, 40))
    for when in (at(10, 28, 8, 45), at(11, 4, 8, 45)):
        text = (await scan(bot, when))["wangwu"]
        assert "数字、字母、特殊符号中的 2 种" in text
        assert "切勿" in text and "请发送密码" not in text and "回复密码" not in text
    reply = await bot.say("wangwu", "已改密 黔江文旅")
    assert "已登记" in reply and "数字、字母、特殊符号中的 2 种" in reply


async def test_holders_recorded_and_non_staff_flagged_to_the_chief(bot: Harness) -> None:
    """rule R-SEC-5: a vendor or software holder is flagged to the unit's chief; with no
    staff holder left it is handed over wholly, which the flag says."""
    reply = await bot.say("wangwu", "权限 黔江文旅 张三 外包")
    assert "已登记：张三（外包）" in reply and "非在编人员" in reply
    flag = await last_text(bot, "chenwei")
    assert "非在编人员 张三（外包）" in flag and "保密协议" in flag and "全权" not in flag
    listing = await bot.say("wangwu", "权限 黔江文旅")
    assert "王五（管理员）" in listing and "张三（外包） ⚠ 非在编在岗人员" in listing
    assert "不索要任何密码" in listing
    assert "不在组织文件中" in await bot.say("wangwu", "权限 黔江文旅 赵六")
    assert "已登记持有" in await bot.say("wangwu", "权限 黔江文旅 张三 外包")
    assert "只有" in await bot.say("sunli", "权限 黔江文旅 李四")
    assert await PermissionHolder.all().count() == 1

    account = await Account.get(name="清新黔江")
    await account.admins.clear()
    await bot.say("zhaoqiang", "权限 清新黔江 智能客服 软件")
    assert "严禁将账号权限全权交由" in await last_text(bot, "chenwei")
    assert "全部在非在编人员或软件手中" in await bot.say("chenwei", "权限 清新黔江")
    todo = await bot.say("chenwei", "待办")
    assert "由非在编人员或软件持有的账号权限（2）" in todo and "收回权限" in todo
    reply = await bot.say("chenwei", "收回权限 清新黔江 智能客服")
    assert "已登记：收回 智能客服" in reply and "已改密" in reply
    assert "没有登记由“李四”持有" in await bot.say("chenwei", "收回权限 清新黔江 李四")
    holder = await PermissionHolder.get(name="智能客服")
    assert holder.kind == HolderKind.SOFTWARE and holder.revoked_by == "chenwei"
    assert "（1）" in await bot.say("chenwei", "待办")


async def test_checks_in_chat_and_the_reminder_before_an_account(bot: Harness) -> None:
    """rule R-SEC-6: staff without the check or training who hold an account are flagged
    to the chief when given it and once by the reminder scan, until both are recorded."""
    await quiet_accounts("黔江文旅", updated=at(11, 10, 8))
    await Person.filter(id="wangwu").update(vetted_on=None, trained_on=None)
    reply = await bot.say("liufang", "权限 黔江文旅 王五")  # the approver: the chief hears
    assert "尚无保密审查、岗前培训记录" in reply
    assert "上岗前须通过保密审查" in await last_text(bot, "chenwei")
    found = await scan(bot, at(11, 11, 8, 45))
    assert set(found) == {"chenwei"} and "王五 是黔江文旅（微信订阅号）的管理员" in found["chenwei"]
    assert await scan(bot, at(11, 12, 8, 45)) == {}
    assert "王五：缺保密审查、岗前培训" in await bot.say("chenwei", "待办")
    reply = await say_at(bot, "chenwei", "保密审查 王五 2025-03-01", at(11, 12, 10))
    assert "于 2025年3月1日 完成保密审查" in reply and "尚缺：岗前培训" in reply
    reply = await say_at(bot, "chenwei", "培训 王五 3月5日", at(11, 12, 10))
    assert "均已完成" in reply
    person = await Person.get(id="wangwu")
    assert (person.vetted_on, person.trained_on) == (date(2025, 3, 1), date(2025, 3, 5))
    assert "缺保密审查" not in await bot.say("chenwei", "待办")
    assert "只有王五所在单位" in await bot.say("zhengyu", "培训 王五")
    assert "只有王五所在单位" in await bot.say("wangwu", "培训 王五")
    assert "晚于今天" in await bot.say("chenwei", "培训 王五 2099-01-01")
    assert "没有找到“钱七”" in await bot.say("chenwei", "培训 钱七")


@pytest.fixture
async def empty(backend: str):  # type: ignore[no-untyped-def]
    from bot.db import close_db
    from tests import databases

    await databases.open_clean(backend)
    yield
    await close_db()


async def test_org_file_carries_the_dates(empty: None) -> None:
    """rule R-SEC-6: vetted_on / trained_on in the org file; left out, chat's dates stay;
    an admin without them is named when the file is loaded; a bad date is refused."""
    summary = await orgfile.apply(orgfile.parse(BASE))
    assert summary.unchecked == ["王五"]
    dated = BASE.replace('roles = ["editor"]',
                         'roles = ["editor"]\nvetted_on = 2025-03-01\ntrained_on = "2025-03-05"')
    summary = await orgfile.apply(orgfile.parse(dated))
    assert summary.unchecked == [] and summary.updated == {"people": 1}
    person = await Person.get(id="wangwu")
    assert (person.vetted_on, person.trained_on) == (date(2025, 3, 1), date(2025, 3, 5))
    assert "vetted_on = 2025-03-01" in await orgfile.export()
    await orgfile.apply(orgfile.parse(BASE))  # dates left out: kept
    assert (await Person.get(id="wangwu")).trained_on == date(2025, 3, 5)
    with pytest.raises(orgfile.OrgFileError, match="trained_on"):
        orgfile.parse(BASE.replace('roles = ["editor"]', 'roles = ["editor"]\ntrained_on = "春天"'))
