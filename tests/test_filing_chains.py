"""Approval chains as the seeds write them (issue 14, rule R-ACC-1) and each seed's own
filing numbers (R-ACC-2, R-ACC-3, R-ACC-4), checked against the profiles.

003 Art.8: the chief, then 区政府办公室, then 市政府办公厅; 002 Art.3: 市民政局, then 市主管单位.
Each stage is a card; the registry changes only after the last.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.policy import load_policy
from models.org import Account, Person, Unit
from models.registry import Filing, FilingState
from tests.conftest import Harness
from tests.test_handlers_filings import OPEN

NOW = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.clock.utcnow", lambda: NOW)


async def city_above() -> None:
    """A city office above the demo district office, with its own supervisor."""
    await Unit.create(id="cq-gov", name="重庆市人民政府办公厅")
    await Unit.filter(id="qj-gov").update(parent_id="cq-gov")
    await Person.create(id="qinlan", name="秦岚", unit_id="cq-gov", roles=["supervisor"])


def on(policy: str) -> Harness:
    return Harness(Settings(database_url="sqlite://:memory:", policy=policy))


@pytest.mark.parametrize(("policy", "first", "second"), [
    ("qianjiang", "区政府办公室批准", "市政府办公厅批准"),  # 003 Art.8
    ("luan", "市民政局审批", "市主管单位审核"),  # 002 Art.3
])
async def test_two_stages_above_the_unit(db: None, policy: str, first: str,
                                         second: str) -> None:
    bot = on(policy)
    await city_above()
    await bot.say("wangwu", OPEN)
    assert await bot.tap("chenwei", bot.key(await bot.live_card("chenwei"), "同意")) == ""
    card = await bot.live_card("zhaoqiang")
    assert first in str(card)
    assert not await bot.cards("qinlan")
    assert "不是" in await bot.say("qinlan", "同意备案 #1")  # not the first stage's
    assert await bot.tap("zhaoqiang", bot.key(card, "同意")) == ""
    assert not await Account.exists(name="黔江非遗")  # not before the last stage
    filing = await Filing.get(id=1)
    assert (filing.state, filing.step) == (FilingState.SUPERVISOR, 2)
    assert second in (await bot.texts("wangwu"))[-1] and "秦岚" in (await bot.texts("wangwu"))[-1]
    assert "不是" in await bot.say("zhaoqiang", "同意备案 #1")  # the city's stage is not his
    assert "已失效" in await bot.tap("zhaoqiang", bot.key(card, "同意"))
    top = await bot.live_card("qinlan")
    assert second in str(top) and first in top["body_md"]  # the history shows stage one
    assert await bot.tap("qinlan", bot.key(top, "同意")) == ""
    assert await Account.exists(name="黔江非遗")
    assert [a["title"] for a in (await Filing.get(id=1)).approvals] == ["", first, second]


async def test_a_missing_stage_is_refused_up_front(db: None) -> None:
    """Without a 市政府办公厅 in the org nothing is filed, and the error names the stage."""
    bot = on("qianjiang")
    reply = await bot.say("wangwu", OPEN)
    assert "市政府办公厅批准" in reply and await Filing.all().count() == 0


async def test_return_at_the_last_stage_changes_nothing(db: None) -> None:
    bot = on("qianjiang")
    await city_above()
    await bot.say("wangwu", OPEN)
    await bot.say("chenwei", "同意备案 #1")
    await bot.say("zhaoqiang", "同意备案 #1")
    assert "已退回" in await bot.say("qinlan", "退回备案 #1 名称需规范")
    told = (await bot.texts("wangwu"))[-1]
    assert "市政府办公厅批准" in told and "名称需规范" in told
    assert not await Account.exists(name="黔江非遗")


def test_profiles_state_their_seeds_chain_and_numbers() -> None:
    """Each seed's own facts (R-ACC-1, R-ACC-2): chains, notice kinds, places, periods."""
    chains = {name: [s["title"] for s in load_policy(name).filings.approval_stages]
              for name in ("default", "ankang", "jingyuan", "luan", "qianjiang", "luju")}
    assert chains["qianjiang"] == ["区政府办公室批准", "市政府办公厅批准"]  # 003 Art.8
    assert chains["luan"] == ["市民政局审批", "市主管单位审核"]  # 002 Art.3
    assert chains["jingyuan"] == ["县政府办公室审批"]  # 001 Art.14
    assert chains["luju"] == ["市政府办公室批准"]  # 004 Art.13
    luju, luan, jy = (load_policy(n).filings for n in ("luju", "luan", "jingyuan"))
    assert "open" not in luju.announce_kinds and "close" in luju.announce_kinds  # 004 Art.15
    assert (luju.announcement_min_days, luju.announcement_unit) == (15, "workdays")
    assert (luan.announcement_min_days, luan.announcement_unit, luan.announce_anchor) == (
        30, "workdays", "platform")  # 002 Art.3: after 核准 and the platform step
    assert jy.announce_places == ("本账号", "县人民政府网站")  # 001 Art.14
    assert (jy.announce_anchor, jy.announce_within_workdays) == ("platform", 3)


def test_bad_chain_is_refused(tmp_path: object) -> None:
    from pathlib import Path
    path = Path(str(tmp_path)) / "bad.toml"
    path.write_text('extends = "default"\n[filings]\n'
                    'approval_stages = [{ title = "市", role = "mayor", up = 1 }]\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="approval_stages"):
        load_policy(str(path))
