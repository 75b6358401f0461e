"""登记表: the review record of one post, laid out like the profile's seed form (R-REV-5),
in chat (`登记表 #N`) and from the CLI (`govmedia report record`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import demo
from bot.cli import main
from bot.config import Settings, with_overrides
from bot.db import close_db, init_db
from bot.policy import load_policy
from handlers.reports import files
from models.review import Draft
from models.system import AuditHead
from tests import databases
from tests.conftest import Harness
from tests.reports_support import full_review, pdf_text, received, sheets, squeeze


async def test_record_pdf_carries_the_000_form_and_the_whole_record(bot: Harness) -> None:
    """rule R-REV-5: 000's 信息发布审核登记表 on page one, every version and decision after."""
    await full_review(bot)
    reply = await bot.say("wangwu", "登记表 #1")
    assert "审核登记表_稿件1.pdf" in reply
    sent, data = await received(bot, "wangwu")
    assert sent["name"] == "审核登记表_稿件1.pdf" and sent["content_type"] == "application/pdf"
    assert data.startswith(b"%PDF") and sent["size"] == len(data)
    text = pdf_text(data)
    # each label as printed in its cell (a PDF gives a table's lines back cell by cell)
    for field in ("黔江区文化和旅游发展委员会信息发布审核登记表", "信息发布", "标题名称",
                  "发布平台", "发布时间", "信息内容", "原创/转载", "文字内容", "是否准确",
                  "政治用语", "是否规范", "是否涉密", "（涉军/涉隐私等）", "“一审一校”",
                  "“二审二校”", "“三审三校”", "情况",
                  "秋季旅游节开幕", "黔江文旅（微信订阅号）", "共2个版本，退回1次"):
        assert squeeze(field) in text, field
    # signer and date on each level; the return, both versions, the checklist (R-REV-6)
    assert "签字：王五" in text and "签字：张明" in text and "签字：刘芳" in text
    assert "第二段日期有误" in text and "第1版" in text and "第2版" in text
    assert "是否涉及国家秘密" in text and "身份证号" in text  # confirmed finding
    assert "https://mp.weixin.qq.com/s/abc" in text
    head = await AuditHead.get(id=1)
    assert f"第{head.seq}条" in text and head.hash in text


async def test_record_xlsx_fields_in_place(bot: Harness) -> None:
    await full_review(bot)
    out = await files.record_file(1, "xlsx", load_policy("default"), bot.settings.tz)
    book = sheets(out.data)
    form = book["登记表"]
    assert form[0][0] == "黔江区文化和旅游发展委员会信息发布审核登记表"
    assert form[1][:2] == ["信息发布\n标题名称", "秋季旅游节开幕"]
    assert form[2][0] == "发布平台" and form[2][1] == "黔江文旅（微信订阅号）"
    assert form[2][2] == "发布时间" and form[2][3].startswith("20")
    assert form[3][1] == "原创" and form[3][3].startswith("是")
    assert [row[0] for row in form[5:8]] == ["“一审一校”\n情况", "“二审二校”\n情况",
                                            "“三审三校”\n情况"]
    assert "签字：张明" in form[6][1] and form[6][1].startswith("同意")
    assert "签字：刘芳" in form[7][1]
    assert "共 2 个版本，退回 1 次" in form[8][1]
    steps = book["审核过程"]
    assert [r[4] for r in steps[1:]] == ["提交", "退回", "提交", "通过", "通过"]
    assert steps[2][5] == "第二段日期有误"
    checklist = book["核对事项"]
    assert len(checklist) == 13 and checklist[1][1:] == ["✓", "✓"]
    findings = book["机审提示"]
    assert findings[1][3] == "身份证号" and "已核" in findings[1][5]
    assert [r[0] for r in book["各版本全文"][1:]] == [1, 2]
    audit = book["审计记录"]
    head = await AuditHead.get(id=1)
    assert audit[-1][4] == f"{head.seq}:{head.hash}" and out.head.count == head.seq


async def test_form_002_under_the_luan_profile(db: None, settings: Settings) -> None:
    """002's 信息发布审批表: 是否涉密, 信息发布类别 ticked, 要求发布时间 from the option lines."""
    bot = Harness(with_overrides(settings, policy="luan"))
    await full_review(bot)
    draft = await Draft.get(id=1)
    assert draft.category == "weibo" and draft.requested_at is not None
    out = await files.record_file(1, "xlsx", load_policy("luan"), bot.settings.tz)
    form = sheets(out.data)["登记表"]
    assert form[0][0] == "黔江区文化和旅游发展委员会信息发布审批表"
    assert form[1][:4] == ["信息标题", "秋季旅游节开幕", "是否涉密", "否"]
    assert form[2][0] == "信息发布类别" and "■微博" in form[2][1] and "□微信" in form[2][1]
    assert form[3][:2] == ["要求发布时间", "2026-10-01 09:00"]
    assert form[4][0] == "信息内容" and "10月2日" in form[4][1]
    assert [r[0] for r in form[5:8]] == ["科室信息员\n意见", "科室审核人\n意见",
                                        "分管领导\n审核意见"]
    assert "审核人：张明" in form[6][1]


async def test_who_may_ask_for_a_record(bot: Harness) -> None:
    """The author, the reviewers, the unit's chief and the supervisors above; nobody else."""
    await full_review(bot)
    for person in ("wangwu", "zhangming", "liufang", "chenwei", "zhaoqiang"):
        assert "审核登记表_稿件1.xlsx" in await bot.say(person, "登记表 #1 表格"), person
    for person in ("lisi", "sunli", "zhoujun"):  # same unit's other editor, other unit
        assert "只提供给" in await bot.say(person, "登记表 #1"), person
    assert "没有找到稿件 #9" in await bot.say("wangwu", "登记表 #9")
    assert "登记表格式" in await bot.say("wangwu", "登记表 #1 word")
    assert "登记表格式" in await bot.say("wangwu", "登记表")
    sent = [m for p in ("wangwu", "zhangming", "liufang", "chenwei", "zhaoqiang")
            for m in await bot.inbox(p) if m["type"] == "file"]
    assert len(sent) == 5


async def test_form_fields_at_submission(bot: Harness) -> None:
    """Bad option lines are refused with the reason and nothing is created."""
    secret = "投稿 黔江文旅\n涉密：是\n标题\n正文"
    assert "涉密信息不得" in await bot.say("wangwu", secret)
    assert "“类别：”后面请写" in await bot.say("wangwu", "投稿 黔江文旅\n类别：报纸\n标题\n正文")
    assert "无法识别" in await bot.say("wangwu", "投稿 黔江文旅\n发布时间：明天\n标题\n正文")
    assert await Draft.all().count() == 0
    await bot.say("wangwu", "投稿 黔江文旅\n涉密：否\n发布时间：尽快\n标题\n正文")
    draft = await Draft.get(id=1)
    assert draft.category == "" and draft.requested_at is None


def _prepare(backend: str, tmp_path: Path) -> str:
    """A database of this backend with the demo office and one full review on record."""

    async def run() -> str:
        if backend == "sqlite":
            url = f"sqlite://{tmp_path / 'reports.db'}"
            await init_db(url)
        else:
            url = await databases.open_clean(backend)
        await demo.seed_if_empty()
        await full_review(Harness(Settings(database_url=url, outbox_poll_seconds=0.05)))
        await close_db()
        return url

    return asyncio.run(run())


def test_cli_record_names_the_audit_head_it_was_made_from(
        backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The printed record's audit head is what `govmedia audit head` says at that time,
    and `audit verify --head` accepts it."""
    env = {"GOVMEDIA_DATABASE_URL": _prepare(backend, tmp_path)}
    out = tmp_path / "record.xlsx"
    assert main(["report", "record", "1", "--format", "xlsx", "--output", str(out)], env) == 0
    printed = capsys.readouterr().out
    token = sheets(out.read_bytes())["审计记录"][-1][4]
    count, digest = token.split(":")
    assert f"依据审计链头 {token}" in printed
    assert main(["audit", "head"], env) == 0
    head = capsys.readouterr().out
    assert f"共 {count} 条记录" in head and f"哈希：{digest}" in head
    assert main(["audit", "verify", "--head", token], env) == 0
    capsys.readouterr()
    assert main(["report", "record", "99", "--format", "pdf", "--output", str(out)], env) == 1
    assert "没有找到稿件 #99" in capsys.readouterr().err
