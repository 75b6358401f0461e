"""Issue 14 point 5: every regulation number in a seed profile cites its seed article or says
it is inherited from default; and one behaviour test, parametrised over the five seed
profiles, drives the same flows (stale account, relay, final-review routing) with that
seed's own numbers."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, fields

import pytest

from bot.policy import POLICY_DIR, SECTIONS, load_policy
from models.org import Account
from models.relay import RelayTarget
from models.reminders import ReminderLog
from models.review import ReviewStep
from tests.conftest import Harness
from tests.test_reminders import at, only, relay_at, scan

# seed profile → its regulation's number in shared/regulations
SEEDS = {"ankang": "000", "jingyuan": "001", "luan": "002", "qianjiang": "003", "luju": "004"}
# numbers that are the bot's own, not a regulation's (when the engine speaks, not what is due)
BOT_OWN = {"reminders", "duty", "moves"}  # moves: the everyday approval moves (issue 20)
BOT_OWN_KEYS = {("counterfeit", "chase_every_days")}


def regulation_keys() -> list[tuple[str, str]]:
    """Every integer key of the profile outside the bot's own sections."""
    default = load_policy("default")
    keys = []
    for section in SECTIONS:
        if section in BOT_OWN:
            continue
        values = getattr(default, section)
        for f in fields(values):
            value = getattr(values, f.name)
            if isinstance(value, int) and not isinstance(value, bool) \
                    and (section, f.name) not in BOT_OWN_KEYS:
                keys.append((section, f.name))
    return keys


def _set_lines(text: str) -> dict[tuple[str, str], str]:
    """(section, key) → the key's line and the comment lines right under it."""
    found: dict[tuple[str, str], str] = {}
    section, lines = "", text.splitlines()
    for i, line in enumerate(lines):
        header = re.match(r"^\[(\w+)\]", line)
        if header:
            section = header[1]
            continue
        key = re.match(r"^(\w+)\s*=", line)
        if key and section:
            block = [line]
            for more in lines[i + 1:]:
                if not more.lstrip().startswith("#") or re.match(r"^#", more):
                    break
                block.append(more)
            found[(section, key[1])] = "\n".join(block)
    return found


def _inherited_block(text: str) -> str:
    """What the profile says it inherits: each comment from a line saying 'inherited from
    default' to the next blank line."""
    return "\n".join(re.findall(r"(?ims)^#[^\n]*inherited from default.*?(?=^\s*$|\Z)", text))


@pytest.mark.parametrize("name", SEEDS)
def test_every_number_cites_its_seed_or_says_inherited(name: str) -> None:
    """A profile never presents an inherited number as its seed's (RULES.md)."""
    seed = SEEDS[name]
    text = (POLICY_DIR / f"{name}.toml").read_text(encoding="utf-8")
    own = tomllib.loads(text)
    lines = _set_lines(text)
    inherited = _inherited_block(text)
    missing = []
    for section, key in regulation_keys():
        if key in own.get(section, {}):
            line = lines[(section, key)]
            if not re.search(rf"{seed} (Art\.|appendix)|not in {seed}|inherited", line):
                missing.append(f"{section}.{key} (set without its source)")
        elif f"{section}.{key}" not in inherited:
            missing.append(f"{section}.{key} (inherited silently)")
    assert not missing, f"{name}: {missing}"


# --- one behaviour test over the five seeds ---------------------------------------------

@dataclass(frozen=True)
class Seed:
    text_days: int  # R-UPD-1 gap of a text account (黔江文旅, 微信订阅号)
    video_days: int  # R-UPD-1/2 gap of a video account (清新黔江, 抖音)
    per_week: int  # R-UPD-3 weekly count (0: none)
    relay_hours: int  # R-RLY-1
    important: str  # R-REV-2 who signs an important item
    local_media: str  # R-REV-4 a provincial or city mainstream source of the seed


NUMBERS = {
    "ankang": Seed(7, 10, 0, 12, "chenwei", "https://www.cnwest.com/a.html"),  # 000 Art.5/6/7
    "jingyuan": Seed(7, 7, 0, 12, "liufang", "https://www.nxnews.net/a.html"),  # 001 Art.19/20/22
    "luan": Seed(7, 10, 0, 12, "chenwei", "https://www.anhuinews.com/a.html"),  # 002 Art.6/7/8
    "qianjiang": Seed(7, 10, 3, 12, "chenwei", "https://www.cqnews.net/a.html"),  # 003 Art.10/12
    "luju": Seed(7, 10, 0, 12, "chenwei", "https://www.yunnan.cn/a.html"),  # 004 Art.20
}


@pytest.mark.parametrize("name", SEEDS)
async def test_seed_profiles_drive_the_same_flows(bot: Harness, name: str) -> None:
    seed = NUMBERS[name]
    load_policy.cache_clear()
    office = Harness(dataclasses.replace(bot.settings, policy=name))
    policy = load_policy(name)
    assert (policy.updates.text_max_gap_days, policy.updates.video_max_gap_days) == \
        (seed.text_days, seed.video_days)

    # stale accounts (R-UPD-1..3): the day each limit is reached, in the seed's terms
    await only("黔江文旅", "清新黔江", updated=at(11, 3, 8, 40), changed=at(11, 1, 9))
    await Account.all().update(created_at=at(10, 1, 9))
    text_due = await scan(office, at(11, 3 + seed.text_days, 8, 45))
    assert f"已到 {seed.text_days} 天的更新期限" in text_due["wangwu"]
    if seed.video_days == seed.text_days:
        assert f"已到 {seed.video_days} 天的更新期限" in text_due["lisi"]
    else:
        assert "更新期限" not in text_due.get("lisi", "")
    if seed.per_week:  # 3–9 November was short of the weekly count
        assert f"要求至少 {seed.per_week} 次" in text_due["wangwu"]
    else:
        assert "要求至少" not in text_due["wangwu"]
    await ReminderLog.all().delete()

    # relay (R-RLY-1, R-REV-1): the seed's hours; no seed closes a relay without review
    reply = await relay_at(office, at(11, 10, 9), "转载 https://www.gov.cn/r.html 通知")
    assert f"（{seed.relay_hours} 小时内）" in reply
    assert "先审后发" in await office.say("wangwu", "已转载 1 https://mp.weixin.qq.com/s/r")
    await office.say("wangwu", "投稿 黔江文旅\n国务院通知\n全文转载。\n任务：1")
    await office.say("zhangming", "通过 #1")
    await office.say("liufang", "通过 #1")
    await office.say("wangwu", "已发布 #1 https://mp.weixin.qq.com/s/r")
    assert await RelayTarget.exists(task_id=1, unit_id="qj-wlw", done_at__isnull=False)

    # final-review routing (R-REV-2, R-REV-4, R-REV-7)
    async def final(draft: str) -> str:
        reply = await office.say("wangwu", draft)
        number = int(reply.split("#")[1].split("《")[0])
        await office.say("zhangming", f"通过 #{number}")
        step = await ReviewStep.filter(draft_id=number).order_by("-level").first()
        assert step is not None
        return step.assignee_id  # type: ignore[attr-defined,no-any-return]

    assert await final("投稿 黔江文旅\n签约\n正文。\n重要：是") == seed.important
    assert await final("投稿 黔江文旅\n暴雨\n正文。\n重大：是") == "chenwei"
    assert await final("投稿 黔江文旅\n通报\n某村发生山体塌方，1人遇难。") == "chenwei"
    assert await final(f"投稿 黔江文旅\n转载：{seed.local_media}\n本地新闻\n正文。") == "liufang"
    assert await final("投稿 黔江文旅\n转载：https://www.shop.example.com/a\n商品\n正文。") \
        == "chenwei"
