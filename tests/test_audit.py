"""The keyed audit chain: what a rewrite with database access alone can and cannot hide,
the migration of a plain chain, the head kept outside, and the weekly head message."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from bot import audit
from bot.cli import main
from bot.scheduler import run_scan
from models.system import AuditEvent, AuditHead, Outbox
from tests.conftest import Harness
from tests.test_decision_cost import statements

KEY = "k" * 16 + "0123456789abcdef"  # 32 characters
OTHER_KEY = "z" * 32
DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n正文。"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def keyed() -> Iterator[audit.Keyring]:
    ring = audit.Keyring.of([KEY])
    before = audit.keyring()
    audit.use_keys(ring)
    yield ring
    audit.use_keys(before)


async def _rewrite_plain(first: int, *, actor: str | None = None, drop_key: bool) -> None:
    """What someone with write access but no key can do: change event `first` and
    recompute every hash from there on with plain SHA-256, head row included."""
    events = await AuditEvent.filter(seq__gte=first).order_by("seq")
    prev = (await AuditEvent.get(seq=first - 1)).hash if first > 1 else audit.GENESIS
    for ev in events:
        if actor and ev.seq == first:
            ev.actor = actor
        ev.prev_hash = prev
        ev.hash = audit.chain_hash(prev, ev.seq, ev.at, ev.actor, ev.action, ev.subject,
                                   ev.data)
        if drop_key:
            ev.key_id = ""
        await ev.save()
        prev = ev.hash
    await AuditHead.filter(id=1).update(hash=prev, **({"key_id": ""} if drop_key else {}))


async def test_keyed_chain_verifies_and_a_plain_rewrite_fails(bot: Harness,
                                                              keyed: audit.Keyring) -> None:
    await bot.say("wangwu", DRAFT)
    await bot.tap("zhangming", bot.key(await bot.live_card("zhangming"), "通过"))
    # event 1 is the demo organisation, seeded before the key was set
    assert set(await AuditEvent.filter(seq__gt=1).values_list("key_id", flat=True)) == \
        {keyed.current}
    result = await audit.verify()
    assert result.ok and result.keyed == result.count - 1 > 2 and result.plain == 1

    # the old attack: change who approved and recompute the plain SHA-256 chain
    await _rewrite_plain(2, actor="mallory", drop_key=False)
    assert (await audit.verify()).reason == "hash"
    # ... or pretend the whole chain was never keyed
    await _rewrite_plain(1, drop_key=True)
    bad = await audit.verify()
    assert not bad.ok and bad.reason == "unkeyed_tail"
    # and without the key configured, the same plain chain passes: that is why `serve`
    # refuses to run a real channel without a key, and why the head goes to supervisors
    assert (await audit.verify(audit.Keyring())).ok


async def test_a_plain_chain_is_anchored_when_a_key_arrives(bot: Harness) -> None:
    """Migration: old events keep their plain hashes and stay verifiable as they were;
    the first keyed event links to them, so rewriting them now breaks a keyed link."""
    await bot.say("wangwu", DRAFT)
    plain_count = await AuditEvent.all().count()
    assert set(await AuditEvent.all().values_list("key_id", flat=True)) == {""}
    audit.use_keys(audit.Keyring.of([KEY]))
    try:
        assert await audit.seal() is True and await audit.seal() is False
        seal = await AuditEvent.get(seq=plain_count + 1)
        assert seal.action == audit.SEAL_ACTION and seal.key_id
        result = await audit.verify()
        assert result.ok and (result.plain, result.keyed) == (plain_count, 1)
        await bot.tap("zhangming", bot.key(await bot.live_card("zhangming"), "通过"))
        assert (await audit.verify()).ok

        await _rewrite_plain(1, actor="mallory", drop_key=False)
        broken = await audit.verify()
        assert broken.reason == "hash" and broken.broken_at == plain_count + 1
    finally:
        audit.use_keys(audit.Keyring())


async def test_a_keyed_chain_needs_its_key(bot: Harness, keyed: audit.Keyring) -> None:
    await bot.say("wangwu", DRAFT)
    audit.use_keys(audit.Keyring())
    with pytest.raises(audit.AuditKeyMissing):
        await audit.append("x", "test", "t", {})
    unchecked = await audit.verify()
    assert unchecked.ok and unchecked.unchecked == unchecked.count - 1 and unchecked.keyed == 0
    # a rotated key: the new one signs, the old one (a later line of the file) verifies
    audit.use_keys(audit.Keyring.of([OTHER_KEY, KEY]))
    await audit.append("x", "test", "t", {})
    rotated = await audit.verify()
    assert rotated.ok and rotated.keyed == rotated.count - 1 and rotated.unchecked == 0


async def test_a_cut_off_tail_shows_only_against_a_kept_head(bot: Harness,
                                                              keyed: audit.Keyring) -> None:
    await bot.say("wangwu", DRAFT)
    kept = await audit.head()
    assert kept.count > 1 and kept.key_id == keyed.current
    assert (await audit.verify(expect=kept)).head_matched is True
    # delete the newest event and set the head row back: the chain alone still holds
    await AuditEvent.filter(seq=kept.count).delete()
    before = await AuditEvent.get(seq=kept.count - 1)
    await AuditHead.filter(id=1).update(seq=before.seq, hash=before.hash)
    assert (await audit.verify()).ok
    cut = await audit.verify(expect=kept)
    assert not cut.ok and cut.reason == "head"


async def test_a_head_another_writer_moved_is_read_again(bot: Harness) -> None:
    """Where this process left the head is a guess: events another replica appended
    meanwhile are chained after, never written over (R-REV-5: the record stays whole)."""
    await bot.say("wangwu", DRAFT)
    left = audit._left
    assert left is not None and left.unmoved  # one writer: the head is where it left it
    with statements() as unread:
        await audit.append("x", "test.one", "t", {})
    assert not any("audit_head" in line and "SELECT" in line for line in unread)
    # another replica appends: it reads the head and moves it
    left = audit._left
    audit.forget_head()
    await audit.append("replica-2", "test.other", "t", {})
    audit._left = left
    with statements() as guessed:
        await audit.append("x", "test.two", "t", {})
    assert any("audit_head" in line and "SELECT" in line for line in guessed)
    assert audit._left is not None and not audit._left.unmoved  # the next write reads first
    with statements() as read:
        await audit.append("x", "test.three", "t", {})
    assert any("audit_head" in line and "SELECT" in line for line in read)
    assert audit._left.unmoved  # nobody else wrote: guessing again
    checked = await audit.verify()
    assert checked.ok, checked
    actions = await AuditEvent.filter(action__startswith="test.").order_by("seq") \
        .values_list("action", flat=True)
    assert actions == ["test.one", "test.other", "test.two", "test.three"]


async def test_racing_writers_keep_one_chain(bot: Harness) -> None:
    """Transactions racing for the head (events handled side by side, replicas): each
    one's events follow the last committed ones, whatever its guess."""
    await bot.say("wangwu", DRAFT)

    async def write(i: int) -> None:
        async with in_transaction():
            await audit.append("x", f"race.{i}", "t", {})
            await audit.append("x", f"race.{i}.again", "t", {})

    await asyncio.gather(*(write(i) for i in range(8)))
    checked = await audit.verify()
    assert checked.ok, checked
    assert await AuditEvent.filter(action__startswith="race.").count() == 16


async def test_supervisors_get_the_head_once_a_week(bot: Harness) -> None:
    """Monday 09:00 (the weekly digest time): every supervisor, one claim for all replicas."""
    await bot.say("wangwu", DRAFT)
    monday = datetime(2025, 11, 17, 9, 0, tzinfo=TZ).astimezone(UTC)
    before = await Outbox.all().count()
    await asyncio.gather(run_scan(bot.settings, monday), run_scan(bot.settings, monday))
    rows = await Outbox.filter(id__gt=before, user_id="zhaoqiang")
    head = await audit.head()
    assert len(rows) == 1 and head.hash in rows[0].payload["text"]
    assert f"--head {head.count}:{head.hash}" in rows[0].payload["text"]
    await run_scan(bot.settings, datetime(2025, 11, 18, 9, 0, tzinfo=TZ))
    assert await Outbox.filter(id__gt=before, user_id="zhaoqiang").count() == 1


async def test_a_scan_chosen_as_a_deadlock_victim_runs_again(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two replicas' scans race for the same reminder-log keys; on MySQL one of them may be
    rolled back as a deadlock victim (seen in CI with the test above). It runs again and the
    weekly head still goes out once."""
    from handlers.reminders import scan as scan_module

    await bot.say("wangwu", DRAFT)
    monday = datetime(2025, 11, 17, 9, 0, tzinfo=TZ).astimezone(UTC)
    before = await Outbox.all().count()
    create, failed = scan_module.ReminderLog.bulk_create, []

    def deadlock_once(*args: Any, **kwargs: Any) -> Any:
        if not failed:
            failed.append(True)
            raise OperationalError(1213, "Deadlock found when trying to get lock")
        return create(*args, **kwargs)

    monkeypatch.setattr(scan_module.ReminderLog, "bulk_create", deadlock_once)
    report = await run_scan(bot.settings, monday)
    assert failed and report.messages >= 1
    rows = await Outbox.filter(id__gt=before, user_id="zhaoqiang")
    assert len(rows) == 1 and (await audit.head()).hash in rows[0].payload["text"]


def _db(tmp_path: Path) -> tuple[dict[str, str], Path]:
    path = tmp_path / "audit.db"
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{path}", "GOVMEDIA_AUDIT_KEY": KEY}
    assert main(["db", "upgrade"], env) == 0
    return env, path


def test_cli_head_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env, path = _db(tmp_path)
    org = tmp_path / "org.toml"
    org.write_text('[[units]]\nid = "u"\nname = "某局"\n', encoding="utf-8")
    assert main(["org", "load", str(org)], env) == 0
    capsys.readouterr()
    assert main(["audit", "head"], env) == 0
    out = capsys.readouterr().out
    token = out.split("--head ")[1].strip()
    assert "共 1 条记录" in out and audit.key_id(KEY.encode()) in out
    assert main(["audit", "verify", "--head", token], env) == 0
    out = capsys.readouterr().out
    assert "校验通过" in out and "一致" in out and "不能发现" in out
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE seq = 1")
    assert main(["audit", "verify"], env) == 1
    assert "第 1 条" in capsys.readouterr().err
    without_key = {k: v for k, v in env.items() if k != "GOVMEDIA_AUDIT_KEY"}
    assert main(["audit", "verify"], without_key) == 2  # keyed events it cannot check
    assert "本机没有的密钥" in capsys.readouterr().out
    assert main(["audit", "verify", "--head", "12:zz"], env) == 2
    assert "链头格式有误" in capsys.readouterr().err


def test_key_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env, _ = _db(tmp_path)
    assert main(["audit", "head"], {**env, "GOVMEDIA_AUDIT_KEY": "short"}) == 2
    assert "审计密钥太短" in capsys.readouterr().err
    missing = {**env, "GOVMEDIA_AUDIT_KEY": "", "GOVMEDIA_AUDIT_KEY_FILE": str(tmp_path / "k")}
    assert main(["audit", "head"], missing) == 2
    err = capsys.readouterr().err
    assert "读不了审计密钥文件" in err and "不存在" in err and "No such" not in err
    (tmp_path / "k").write_text(f"# current first\n{OTHER_KEY}\n{KEY}\n", encoding="utf-8")
    ring = audit.load_keyring("", str(tmp_path / "k"))
    assert ring.current == audit.key_id(OTHER_KEY.encode()) and len(ring.keys) == 2


def test_serve_with_a_real_channel_needs_a_key(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{tmp_path / 'real.db'}",
           "GOVMEDIA_WECOM_CORP_ID": CORP_ID, "GOVMEDIA_WECOM_AGENT_ID": str(AGENT_ID),
           "GOVMEDIA_WECOM_SECRET": SECRET, "GOVMEDIA_WECOM_TOKEN": TOKEN,
           "GOVMEDIA_WECOM_AES_KEY": AES_KEY}
    assert main(["serve", "--port", "1"], env) == 2
    err = capsys.readouterr().err.strip()
    assert "未配置审计密钥" in err and "GOVMEDIA_AUDIT_KEY" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "real.db").exists()
