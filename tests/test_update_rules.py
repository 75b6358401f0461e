"""Update rules per seed (R-UPD-1..3, issue 14): 黔江 counts ≥3 updates per natural week and
gives the ≤10-day gap only to accounts whose platform limits posting (003 Art.12); 泾源 is
weekly for every account, video included (001 Art.20). Reminders and 查询 speak in the
seed's own terms."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot import clock
from models.org import Account
from models.reminders import ReminderLog
from models.review import Draft
from tests.conftest import Harness
from tests.test_reminders import at, only, scan


def profile(bot: Harness, name: str) -> Harness:
    return Harness(dataclasses.replace(bot.settings, policy=name))


async def publish(bot: Harness, when: list, account: str = "黔江文旅") -> None:
    """One reviewed, published draft per time in `when` (the publication time set)."""
    for moment in when:
        reply = await bot.say("wangwu", f"投稿 {account}\n动态\n正文。")
        draft_id = int(reply.split("#")[1].split("《")[0])
        await bot.say("zhangming", f"通过 #{draft_id}")
        await bot.say("liufang", f"通过 #{draft_id}")
        await bot.say("wangwu", f"已发布 #{draft_id} https://mp.weixin.qq.com/s/{draft_id}")
        await Draft.filter(id=draft_id).update(published_at=moment)
    await Account.filter(name=account).update(last_update_at=when[-1])


async def test_qianjiang_subscription_account_updating_every_9_days_is_short(
        bot: Harness) -> None:
    """rule R-UPD-3 · 003 Art.12: a 黔江 subscription account posting once every 9 days is
    overdue (it was never overdue with the 10-day gap for every account)."""
    qj = profile(bot, "qianjiang")
    await only("黔江文旅", updated=at(11, 3, 9), changed=at(11, 1, 9))
    await Account.all().update(created_at=at(10, 1, 9))
    await publish(qj, [at(11, 3, 9)])
    monday = await scan(qj, at(11, 10, 9))  # the week of 3–9 November is over
    assert "上周（11月3日–11月9日）更新 1 次，要求至少 3 次" in monday["wangwu"]
    assert "上周" in monday["zhangming"]  # the leaders hear of a short week
    assert "已到 7 天的更新期限" in monday["wangwu"]  # inherited gap, not 10 days
    await publish(qj, [at(11, 12, 9)])  # Wednesday
    assert "本周" not in (await scan(qj, at(11, 12, 10))).get("wangwu", "")
    thursday = await scan(qj, at(11, 13, 9))
    assert "本周已更新 1 次，要求至少 3 次" in thursday["wangwu"]
    assert "本周还剩 4 天" in thursday["wangwu"]
    assert await scan(qj, at(11, 14, 9)) == {}  # once a week per stage


async def test_qianjiang_three_a_week_is_quiet(bot: Harness) -> None:
    qj = profile(bot, "qianjiang")
    await only("黔江文旅", updated=at(11, 3, 9), changed=at(11, 1, 9))
    await Account.all().update(created_at=at(10, 1, 9))
    await publish(qj, [at(11, 3, 9), at(11, 5, 9), at(11, 7, 9)])
    assert "上周" not in (await scan(qj, at(11, 10, 9))).get("wangwu", "")


async def test_qianjiang_gap_of_10_days_only_where_the_platform_limits_posting(
        bot: Harness) -> None:
    """rule R-UPD-3: a 微信服务号 (4 pushes a month) keeps the ≤10-day gap and is not
    counted per week; an account marked limited_posting likewise."""
    qj = profile(bot, "qianjiang")
    await only("黔江政务通", "黔江文旅", updated=at(11, 3, 9), changed=at(11, 1, 9))
    await Account.all().update(created_at=at(10, 1, 9))
    await Account.filter(name="黔江文旅").update(limited_posting=True)
    day7 = await scan(qj, at(11, 10, 9))
    assert not any("黔江政务通" in t or "黔江文旅" in t for t in day7.values())
    day8 = "\n".join((await scan(qj, at(11, 11, 9))).values())
    assert "黔江政务通" in day8 and "两次更新间隔不得超过 10 天（含）" in day8
    assert "要求至少 3 次" not in day8


async def test_qianjiang_query_speaks_in_the_seeds_terms(bot: Harness) -> None:
    """rule R-UPD-3: 查询 gives this week's count against the minimum."""
    qj = profile(bot, "qianjiang")
    now = clock.utcnow()
    await publish(qj, [now - timedelta(minutes=1)])
    reply = await qj.say("wangwu", "查询 黔江文旅")
    assert "本周已更新 1 次，要求至少 3 次" in reply
    reply = await qj.say("wangwu", "查询 黔江政务通")
    assert "本周已更新" not in reply and "平台限制发布次数，要求间隔不超过 10 天" in reply


async def test_default_profile_counts_no_weeks(bot: Harness) -> None:
    await only("黔江文旅", updated=at(11, 3, 9), changed=at(11, 1, 9))
    await Account.all().update(created_at=at(10, 1, 9))
    assert "上周" not in (await scan(bot, at(11, 10, 9))).get("wangwu", "")
    assert "本周已更新" not in await bot.say("wangwu", "查询 黔江文旅")


async def test_jingyuan_video_is_weekly_too(bot: Harness) -> None:
    """rule R-UPD-1 · 001 Art.20: "原则上信息的更新每周不得少于一次" for every account; the
    10-day video limit (000 Art.5, 002 Art.6) is not 泾源's."""
    jy = profile(bot, "jingyuan")
    await only("清新黔江", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    assert "已到 7 天的更新期限" in (await scan(jy, at(11, 10, 8, 45)))["lisi"]
    await ReminderLog.all().delete()
    assert "lisi" not in await scan(bot, at(11, 10, 8, 45))  # default: video 10 days


async def test_org_file_marks_an_account_whose_platform_limits_posting(db: None) -> None:
    """rule R-UPD-3: `limited_posting = true` in the org file; export keeps it; a bad value
    names the entry and writes nothing."""
    import pytest

    from bot import orgfile
    from bot.demo import DEMO_FILE
    text = DEMO_FILE.read_text(encoding="utf-8").replace(
        'name = "黔江文旅"\n', 'name = "黔江文旅"\nlimited_posting = true\n', 1)
    await orgfile.apply(orgfile.parse(text), actor="test")
    assert (await Account.get(name="黔江文旅")).limited_posting
    assert "limited_posting = true" in await orgfile.export()
    with pytest.raises(orgfile.OrgFileError, match="limited_posting"):
        orgfile.parse(text.replace("limited_posting = true", 'limited_posting = "是"'))
