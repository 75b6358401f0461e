"""The profile owns the ladder: levels, who holds them, who hears what (R-REV-1..3, R-RLY-1,
R-ACC-9, the reminder audiences), and a profile key no code reads is refused by name."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.policy import SECTIONS, load_policy
from bot.scheduler import run_scan
from models.org import Account
from models.review import Draft, DraftState
from models.system import Outbox
from tests import databases
from tests.conftest import Harness
from tests.test_reminders import at, only

ROOT = Path(__file__).resolve().parent.parent
CODE = [p for d in ("bot", "handlers", "models", "templates") for p in (ROOT / d).rglob("*")
        if p.suffix in (".py", ".j2", ".toml") and "policies" not in p.parts]
DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"


def profile(tmp_path: Path, text: str) -> str:
    path = tmp_path / "profile.toml"
    path.write_text('extends = "default"\nname = "test"\n' + text, encoding="utf-8")
    load_policy.cache_clear()
    return str(path)


def harness(backend: str, tmp_path: Path, text: str) -> Harness:
    """A bot (on the `db` fixture's database) whose profile is the default plus `text`."""
    return Harness(Settings(database_url=databases.URLS[backend], outbox_poll_seconds=0.05,
                            policy=profile(tmp_path, text)))


def test_every_profile_key_is_read_by_code() -> None:
    """A key nothing reads would claim a rule the bot does not enforce (STYLE.md §7)."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in CODE)
    unread = [f"{section}.{f.name}" for section, cls in SECTIONS.items() for f in fields(cls)
              if not re.search(rf"\.{f.name}\b", source)]
    assert not unread, f"profile keys no code reads: {unread}"


@pytest.mark.parametrize(("text", "named"), [
    # both once examples, read now: min_updates_per_week (seeds), [inspection] (reports)
    ("[updates]\nmax_updates_per_day = 3\n", "max_updates_per_day"),
    ("[zombies]\nsilent_days = 90\n", "zombies"),
    ('[review]\nlevels = ["reviewer", "deputy"]\n', "deputy"),
    ('[reminders]\nleader_roles = []\n', "leader_roles"),
    ('[review]\nescalation = ["reviewer", "supervisor"]\n', "approver"),
])
def test_load_policy_refuses_what_no_code_reads_by_name(tmp_path: Path, text: str,
                                                        named: str) -> None:
    with pytest.raises(ConfigError, match=named) as err:
        load_policy(profile(tmp_path, text))
    assert "\n" not in str(err.value)


FOUR_LEVELS = """[review]
levels = ["reviewer", "approver", "chief"]
final_role_important = "supervisor"
"""


async def test_four_levels_when_the_profile_lists_three_roles(db: None, backend: str,
                                                             tmp_path: Path) -> None:
    """rule R-REV-1: the number of levels and who holds each come from the profile."""
    bot = harness(backend, tmp_path, FOUR_LEVELS)
    await bot.say("wangwu", DRAFT)
    for user, level in (("zhangming", "二审二校·科室负责人"), ("liufang", "三审三校·分管负责人"),
                        ("chenwei", "四审四校·主要负责人")):
        card = await bot.live_card(user)
        assert ["审核环节", level] in card["fields"]
        assert (await Draft.get(id=1)).state == DraftState.REVIEWING
        assert await bot.tap(user, bot.key(card, "通过")) == ""
    assert (await Draft.get(id=1)).state == DraftState.APPROVED
    help_text = await bot.say("wangwu", "帮助")
    assert "系统依次送科室负责人二审二校、分管负责人三审三校、主要负责人四审四校" in help_text
    assert "重要稿件由主管单位终审" in help_text


async def test_one_level_and_the_relay_hours_in_help(db: None, backend: str,
                                                     tmp_path: Path) -> None:
    bot = harness(backend, tmp_path, '[review]\nlevels = ["reviewer"]\n'
                                     '[relay]\ndeadline_hours = 6\n')
    await bot.say("wangwu", DRAFT)
    card = await bot.live_card("zhangming")
    assert await bot.tap("zhangming", bot.key(card, "通过")) == ""
    assert (await Draft.get(id=1)).state == DraftState.APPROVED
    assert "（6 小时内完成）" in await bot.say("zhaoqiang", "帮助")


WHO_HEARS = """[relay]
notify_roles = ["chief"]
[filings]
emergency_report_roles = ["reviewer"]
[reminders]
leader_roles = ["approver"]
daily_digest_roles = ["chief"]
"""


async def test_who_hears_comes_from_the_profile(db: None, backend: str, tmp_path: Path) -> None:
    """rule R-RLY-1 notices, R-ACC-9 reports and the reminder audiences follow the profile."""
    bot = harness(backend, tmp_path, WHO_HEARS)
    await bot.say("zhaoqiang", "转载 https://www.gov.cn/a 通知")
    assert any("转载任务" in t for t in await bot.texts("chenwei"))  # chief, not the editors
    assert not any("转载任务" in t for t in await bot.texts("wangwu"))

    reply = await bot.say("chenwei", "紧急关停 黔江文旅 账号疑似被盗")
    assert "已逐级报告科室负责人和主管单位" in reply
    assert any("紧急关停报备" in t for t in await bot.texts("zhangming"))
    assert not any("紧急关停报备" in t for t in await bot.texts("liufang"))

    await Account.filter(name="黔江文旅").update(status="normal")
    await only("黔江文旅", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    await run_scan(bot.settings, at(11, 11, 8, 45))  # a day overdue: + the leaders
    told = {r.user_id for r in await Outbox.all() if "未更新" in str(r.payload)}
    assert {"wangwu", "liufang"} <= told and "zhangming" not in told
    await run_scan(bot.settings, at(11, 11, 9, 0))  # the daily digest: to the chief
    digests = {r.user_id for r in await Outbox.all() if "今日汇总" in str(r.payload)}
    assert digests == {"chenwei", "zhengyu"}  # the chiefs of units with open relays
