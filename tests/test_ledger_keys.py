"""Ledger columns are known by key (issue 11): their Chinese labels live in
templates/ledger/columns.toml, filings store keys, and renaming a header breaks neither
`查询` nor the approval of a filing filed under the old header."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import ledger
from bot.db import connect, upgrade
from bot.rendering import TEMPLATES_DIR
from handlers.registry.filing_form import FilingForm
from models.org import Account
from models.registry import Filing
from tests.conftest import Harness
from tests.test_handlers_filings import OPEN, approve_both
from tests.test_migrations import _sql, _when, old_db  # noqa: F401  (the fixture)

NOW = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.clock.utcnow", lambda: NOW)


def test_every_column_has_one_label_and_no_word_names_two() -> None:
    with open(TEMPLATES_DIR / "ledger" / "columns.toml", "rb") as fh:
        table = tomllib.load(fh)
    assert set(table) == set(ledger.BY_KEY)
    words = [w for entry in table.values() for w in [entry["label"], *entry.get("aliases", ())]]
    assert len(words) == len(set(words))
    assert ledger.column("状态") is ledger.BY_KEY["status"]
    assert ledger.column("url") is ledger.BY_KEY["url"]  # half-width, any case
    assert ledger.column("运行情况") is None


def _rename(monkeypatch: pytest.MonkeyPatch, **labels: str) -> None:
    """As if an office edited columns.toml: new labels, the old ones no longer read."""
    old = ledger.headers()
    words = {w: k for w, k in old.words.items() if old.labels[k] != w}
    words.update({label: key for key, label in labels.items()})
    renamed = replace(old, labels={**old.labels, **labels}, words=words)
    monkeypatch.setattr(ledger, "headers", lambda: renamed)


async def test_a_renamed_header_breaks_neither_approval_nor_query(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "备案 #1" in await bot.say("wangwu", OPEN + "\n粉丝量：1200")
    payload = (await Filing.get(id=1)).payload
    assert ["organizer", "区文化旅游委宣传科"] in payload["fields"]  # the key, not 承办单位

    _rename(monkeypatch, organizer="承办机构", followers="关注人数", platform="平台类型")
    await approve_both(bot, "chenwei")
    account = await Account.get(name="黔江非遗", platform="wechat_service")
    assert (account.organizer, account.followers) == ("区文化旅游委宣传科", 1200)

    reply = await bot.say("wangwu", "查询 黔江非遗")
    assert "承办机构：区文化旅游委宣传科" in reply and "关注人数：1200" in reply
    assert "承办单位" not in reply
    reply = await bot.say("wangwu", "变更 黔江非遗\n关注人数：1500")
    assert "备案 #2" in reply
    card = await bot.live_card("chenwei")
    assert "关注人数：1500" in card["body_md"]
    usage = await bot.say("wangwu", "开设 黔江文创\n粉丝量：3")  # the old header no longer reads
    assert "粉丝量" in usage and "关注人数" in usage and "平台类型：抖音" in usage


async def test_upgrade_turns_stored_labels_into_keys(old_db: str) -> None:  # noqa: F811
    await connect(old_db)
    await upgrade("0008_website_columns")
    from tortoise import connections
    at = _when(connections.get("default").capabilities.dialect)
    await _sql('INSERT INTO "unit" (id, name, active) VALUES (?, ?, ?)', "u1", "某局", True)
    await _sql('INSERT INTO "person" (id, name, unit_id, roles, active) VALUES (?, ?, ?, ?, ?)',
               "ed", "编辑", "u1", '["editor"]', True)
    old = {"fields": [["平台", "微信订阅号"], ["承办单位", "宣传科"], ["管理员", "王五，科员"]],
           "reason": "宣传需要", "new_name": "", "leavers": []}
    await _sql('INSERT INTO "filing" (id, kind, state, unit_id, account_name, platform, '
               'filer_id, payload, flags, approvals, created_at) '
               'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
               1, "open", "chief", "u1", "某局发布", "wechat_subscription", "ed",
               json.dumps(old, ensure_ascii=False), "[]", "[]", at)
    await upgrade()
    payload = (await Filing.get(id=1)).payload
    assert payload["fields"] == [["platform", "微信订阅号"], ["organizer", "宣传科"],
                                 ["admin", "王五，科员"]]
    assert payload["reason"] == "宣传需要"
    record = FilingForm.from_payload(payload).record(ZoneInfo("Asia/Shanghai"))
    assert record.values == {"platform": "wechat_subscription", "organizer": "宣传科"}
    assert [m.name for m in record.members()] == ["王五"]
