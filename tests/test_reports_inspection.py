"""The quarterly inspection report (R-INS-1): every indicator on a quarter whose history is
written with known times, then the files (PDF read back with pdftotext, XLSX with
openpyxl), the chat command and the register (审核登记簿)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import demo
from bot.cli import main
from bot.config import Settings
from bot.db import close_db, init_db
from bot.policy import load_policy
from handlers.reports import files
from handlers.reports.inspection import load_inspection
from handlers.reports.inspection_pdf import inspection_pdf
from handlers.reports.inspection_xlsx import inspection_xlsx
from handlers.reports.scope import quarter_of, scope_of
from models.deadlines import Deadline
from models.org import Account
from models.precheck import PrecheckFinding
from models.relay import RelayTarget, RelayTask
from models.review import Decision, Draft, DraftState, ReviewStep
from tests import databases
from tests.conftest import Harness
from tests.reports_support import full_review, pdf_page_texts, pdf_text, received, sheets

TZ = ZoneInfo("Asia/Shanghai")
AFTER = datetime(2026, 1, 10, 9, 0, tzinfo=TZ)  # the report is made after 2025Q4 ended


def at(month: int, day: int, hour: int = 10, year: int = 2025) -> datetime:
    """A local time of 2025, stored in UTC as the bot stores every time."""
    return datetime(year, month, day, hour, tzinfo=TZ).astimezone(UTC)


async def publish(account: Account, *moments: datetime) -> list[Draft]:
    drafts = []
    for moment in moments:
        drafts.append(await Draft.create(account=account, author_id="wangwu", title="稿件",
                                         body="正文", state=DraftState.PUBLISHED, level=3,
                                         published_at=moment, published_url="https://x.cn/1"))
    return drafts


async def quarter_history() -> None:
    """2025Q4 (Oct 1 Wed – Dec 31 Wed, 12 whole weeks) under the default profile."""
    await Account.all().update(created_at=at(1, 1))
    wenlv = await Account.get(name="黔江文旅")  # text, admin 王五
    mondays = [at(10, 6) + timedelta(days=7 * i) for i in range(13)]  # Oct 6 … Dec 29
    await publish(wenlv, at(9, 28), at(10, 1), *mondays)
    wenlv.last_update_at, wenlv.password_changed_at = mondays[-1], at(12, 1)
    await wenlv.save()
    qingxin = await Account.get(name="清新黔江")  # video, admin 李四
    await publish(qingxin, at(10, 2), at(11, 20))
    await Account.filter(id=qingxin.id).update(last_update_at=at(11, 20),
                                               password_changed_at=at(8, 1))
    # 黔江教育: no admin, never updated: a zombie; 黔江财政: no admin, updated on Dec 20 as the
    # ledger says (not through the bot), its password changed after the quarter
    await Account.filter(name="黔江财政").update(last_update_at=at(12, 20),
                                               password_changed_at=at(1, 5, year=2026))
    # reviews of one of 黔江文旅's drafts: returned after 2 h, then 1 h and 24 h
    draft = (await publish(wenlv, at(10, 7, 15)))[0]
    for version, level, assignee, start, hours, decision, comment in (
            (1, 2, "zhangming", at(10, 6, 9), 2, Decision.REJECT, "日期有误"),
            (2, 2, "zhangming", at(10, 6, 12), 1, Decision.APPROVE, ""),
            (2, 3, "liufang", at(10, 6, 13), 24, Decision.APPROVE, "")):
        await ReviewStep.create(draft=draft, version=version, level=level, role="reviewer",
                                assignee_id=assignee, created_at=start,
                                decided_at=start + timedelta(hours=hours), decision=decision,
                                comment=comment)
    for seq, severity, false_positive in ((1, "error", None), (2, "warn", None),
                                          (3, "error", at(10, 6, 11))):
        await PrecheckFinding.create(draft=draft, version=1, seq=seq, kind="id_number",
                                     severity=severity, rule="R-REV-8", start=0, end=1, text="x",
                                     created_at=at(10, 6, 9), false_positive_at=false_positive)
    # relay tasks: on time (6 h), late (24 h), missed; one still open at the quarter's end
    task = await RelayTask.create(source_url="https://www.gov.cn/a", created_by_id="zhaoqiang",
                                  unit_id="qj-gov", received_at=at(10, 10, 9),
                                  due_at=at(10, 10, 21))
    for unit, done in (("qj-wlw", at(10, 10, 15)), ("qj-jw", at(10, 11, 9)), ("qj-czj", None)):
        await RelayTarget.create(task=task, unit_id=unit, due_at=task.due_at, done_at=done)
    late = await RelayTask.create(source_url="https://www.gov.cn/b", created_by_id="zhaoqiang",
                                  unit_id="qj-gov", received_at=at(12, 31, 20),
                                  due_at=at(1, 1, 8, year=2026))
    await RelayTarget.create(task=late, unit_id="qj-wlw", due_at=late.due_at)
    # filing follow-ups of 文旅委: on time, late, overdue; one due after the quarter
    for due, done in ((at(11, 1), at(10, 30)), (at(11, 10), at(11, 12)), (at(12, 1), None),
                      (at(1, 5, year=2026), None)):
        await Deadline.create(kind="announce", rule="R-ACC-2", unit_id="qj-wlw",
                              subject="filing:1", title="公示", due_at=due, done_at=done)


async def test_indicators_of_a_known_quarter(db: None) -> None:
    """rules R-UPD-1/2/5, R-RLY-1, R-SEC-1, R-ACC-7, R-INS-1 on hand-counted history."""
    await quarter_history()
    report = await load_inspection(await scope_of("qj-gov"), quarter_of("2025Q4", TZ),
                                   load_policy("default"), TZ, AFTER)
    assert not report.running and report.elapsed_days == 92
    accounts = {a.name: a for a in report.accounts if a.platform != "weibo"}
    wenlv = accounts["黔江文旅"]
    assert (wenlv.updates, wenlv.weeks_counted, wenlv.weeks_below) == (15, 12, 0)
    assert (wenlv.longest_gap, wenlv.gap_limit, wenlv.gap_over) == (7, 7, False)
    assert (wenlv.silent_days, wenlv.veto, wenlv.password) == (2, False, "ok")
    assert wenlv.days[0] == 1 and wenlv.days[5] == 1 and wenlv.days[6] == 1  # Oct 1, 6, 7
    qingxin = accounts["清新黔江"]
    assert (qingxin.updates, qingxin.weeks_below) == (2, 11)  # Oct 2 is in a partial week
    # Oct 2 → Nov 20: 49 days (the gap to the quarter's end is 41)
    assert (qingxin.longest_gap, qingxin.gap_limit, qingxin.gap_over) == (49, 10, True)
    assert (qingxin.silent_days, qingxin.veto) == (14, True)  # rule R-UPD-5
    assert (qingxin.password, qingxin.password_overdue_days) == ("overdue", 60)  # R-SEC-1
    jiaoyu = accounts["黔江教育"]
    assert (jiaoyu.updates, jiaoyu.veto, jiaoyu.zombie, jiaoyu.password) == (
        0, True, True, "unknown")  # rule R-ACC-7: silent all quarter, no admin
    caizheng = accounts["黔江财政"]
    assert (caizheng.updates, caizheng.silent_days, caizheng.veto, caizheng.zombie) == (
        1, 11, False, False)  # the ledger's update on Dec 20 counts
    assert caizheng.password == "changed_after"
    units = {u.id: u for u in report.units}
    wlw = units["qj-wlw"]
    assert (wlw.relay_on_time, wlw.relay_open, wlw.relay_hours) == (1, 1, [6.0])
    assert units["qj-jw"].relay_late == 1 and units["qj-czj"].relay_missed == 1
    assert report.total.relay_median_hours == 15.0 and report.total.relay_worst_hours == 24.0
    assert (wlw.drafts_reviewed, wlw.returns, dict(wlw.reasons)) == (1, 1, {"日期有误": 1})
    assert (wlw.levels[2].count, wlw.levels[2].median_hours, wlw.levels[2].worst_hours) == (
        2, 1.5, 2.0)
    assert (wlw.levels[3].median_hours, wlw.levels[3].worst_hours) == (24.0, 24.0)
    assert wlw.levels[2].buckets() == [1, 1, 0, 0, 0, 0]  # ≤1 h and 1–4 h
    assert (wlw.precheck_errors, wlw.precheck_drafts) == (1, 1)  # not the warning, not 误报
    assert (wlw.followups_on_time, wlw.followups_late, wlw.followups_overdue) == (1, 1, 1)
    assert wlw.followups_open == 0  # the one due in January is another quarter's
    assert report.total.zombies >= 1 and report.total.veto >= 2


async def test_files_of_the_quarter(db: None) -> None:
    """A one-page summary first, then the detail; the workbook carries every account."""
    await quarter_history()
    report = await load_inspection(await scope_of("qj-gov"), quarter_of("2025Q4", TZ),
                                   load_policy("default"), TZ, AFTER)
    pages = pdf_page_texts(inspection_pdf(report))
    first, rest = pages[0], "".join(pages[1:])
    assert "政务新媒体季度检查报告" in first and "2025年第4季度" in first
    assert "主要指标" in first and "需要关注" in first and "单项否决" in first
    assert "清新黔江" in first and "建议关停或注销" in first
    for part in ("各单位汇总", "转载时效", "审核用时分布", "账号明细与更新日历", "退回原因",
                 "日期有误",
                 "建议关停的僵尸账号", "黔江教育"):
        assert part in rest, part
    book = sheets(inspection_xlsx(report))
    assert list(book) == ["摘要", "单位汇总", "账号明细", "更新日历", "转载时效", "审核用时",
                          "退回原因", "僵尸账号"]
    assert book["账号明细"][0] == ["单位", "账号", "平台", "类型", "状态", "本期更新", "每周",
                                   "未达标周数", "最长间隔(天)", "间隔上限(天)", "近期无更新(天)",
                                   "否决风险", "最近更新", "密码", "僵尸账号"]
    assert book["单位汇总"][0][16:19] == ["二审二校次数", "二审二校中位(h)", "二审二校最长(h)"]
    rows = {(r[0], r[1], r[2]): r for r in book["账号明细"][1:]}
    qingxin = rows[("黔江区文化和旅游发展委员会", "清新黔江", "抖音")]
    assert qingxin[5:12] == [2, 0.2, 11, 49, 10, 14, "是"] and qingxin[13] == "逾期 60 天"
    calendar = {r[1]: r for r in book["更新日历"][1:]}
    assert book["更新日历"][0][2] == "10-01" and calendar["黔江文旅"][2] == 1
    assert any(r[1] == "黔江教育" for r in book["僵尸账号"][1:])
    assert book["审核用时"][1][0] == "≤1小时"


async def test_quarterly_report_in_chat(bot: Harness) -> None:
    """季度报告 (supervisors): this quarter by default, as a file; others are refused."""
    await full_review(bot)
    assert "主管单位的角色" in await bot.say("wangwu", "季度报告")
    assert "请写成 2026Q4" in await bot.say("zhaoqiang", "季度报告 2026Q5")
    assert "季度报告格式" in await bot.say("zhaoqiang", "季度报告 2026Q4 word")
    reply = await bot.say("zhaoqiang", "季度报告 2026Q4 表格")
    assert "季度检查报告_2026Q4.xlsx" in reply
    _, data = await received(bot, "zhaoqiang")
    book = sheets(data)
    assert book["摘要"][1][0] == "政务新媒体季度检查报告"
    assert any(r[1] == "黔江文旅" for r in book["账号明细"][1:])


async def test_simulator_download_is_for_the_recipient_only(aiohttp_client, tmp_path: Path
                                                            ) -> None:  # type: ignore[no-untyped-def]
    from bot.app import create_app

    settings = Settings(database_url=f"sqlite://{tmp_path / 'sim.db'}", outbox_poll_seconds=0.05,
                        scheduler_enabled=False)
    client = await aiohttp_client(create_app(settings))
    bot = Harness(settings)
    await full_review(bot)
    await bot.say("wangwu", "登记表 #1 表格")
    for _ in range(400):  # the app's own outbox sender may be the one delivering it
        sent = (await bot.inbox("wangwu"))[-1]
        if sent["type"] == "file":
            break
        await asyncio.sleep(0.05)
    ok = await client.get(f"/sim/api/file?user=wangwu&id={sent['file_id']}")
    assert ok.status == 200 and "attachment" in ok.headers["Content-Disposition"]
    assert sheets(await ok.read())["登记表"][1][1] == "秋季旅游节开幕"
    for query in (f"user=lisi&id={sent['file_id']}", "user=wangwu&id=999", "user=wangwu&id=x"):
        assert (await client.get(f"/sim/api/file?{query}")).status == 404


async def test_register_of_published_posts(db: None, settings: Settings) -> None:
    """审核登记簿: one row per post published in the range, for the unit and those below."""
    bot = Harness(settings)
    await full_review(bot)
    wenlv = await Account.get(name="黔江文旅")
    pingan = await Account.filter(name="平安黔江").first()
    assert pingan is not None
    await publish(wenlv, at(12, 31, 23))
    await publish(pingan, at(12, 30))
    await publish(wenlv, at(1, 1, 1, year=2026))  # outside
    out = await files.register_file(datetime(2025, 12, 1).date(), datetime(2025, 12, 31).date(),
                                    "qj-wlw", "xlsx", load_policy("default"), TZ)
    rows = sheets(out.data)["审核登记簿"]
    assert rows[0][:3] == ["序号", "稿件号", "发布时间"] and len(rows) == 2
    assert rows[1][2] == "2025-12-31 23:00" and rows[1][3] == "黔江区文化和旅游发展委员会"
    everyone = await files.register_file(datetime(2025, 1, 1).date(),
                                         datetime(2026, 12, 31).date(), None, "pdf",
                                         load_policy("default"), TZ)
    text = pdf_text(everyone.data)
    assert "政务新媒体信息发布审核登记簿（全部单位）" in text and "秋季旅游节开幕" in text
    assert "张明" in text and "刘芳" in text


def test_cli_reports_on_every_backend(backend: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`govmedia report records` and `report inspection`, and their bad input."""

    async def prepare() -> str:
        if backend == "sqlite":
            url = f"sqlite://{tmp_path / 'cli.db'}"
            await init_db(url)
        else:
            url = await databases.open_clean(backend)
        await demo.seed_if_empty()
        await quarter_history()
        await close_db()
        return url

    env = {"GOVMEDIA_DATABASE_URL": asyncio.run(prepare())}
    out = tmp_path / "out.xlsx"
    args = ["report", "inspection", "--quarter", "2025Q4", "--unit", "qj-gov", "--format",
            "xlsx", "--output", str(out)]
    assert main(args, env) == 0
    assert "季度检查报告" not in capsys.readouterr().err
    assert any(r[1] == "清新黔江" for r in sheets(out.read_bytes())["账号明细"][1:])
    assert main(["report", "records", "--from", "2025-10-01", "--to", "2025-12-31", "--format",
                 "xlsx", "--output", str(out)], env) == 0
    assert len(sheets(out.read_bytes())["审核登记簿"]) == 1 + 17
    for bad, error in ((["--quarter", "2025Q9"], "请写成"),
                       (["--unit", "nowhere"], "没有找到单位")):
        argv = ["report", "inspection", "--quarter", "2025Q4", "--format", "pdf", "--output",
                str(out), *bad]
        assert main(argv, env) == 1
        assert error in capsys.readouterr().err
    assert main(["report", "records", "--from", "2025-12-31", "--to", "2025-10-01",
                 "--format", "xlsx", "--output", str(out)], env) == 1
    assert "晚于" in capsys.readouterr().err


async def test_gap_limit_follows_the_seeds_update_rule(db: None) -> None:
    """rule R-UPD-3 (003 Art.12): in 黔江 the 10-day gap is only for accounts whose platform
    limits posting (黔江政务通, 微信服务号); rule R-UPD-1 (001 Art.20): 泾源 video 7 days."""
    await quarter_history()
    await Account.all().update(created_at=at(9, 1))
    report = await load_inspection(await scope_of("qj-gov"), quarter_of("2025Q4", TZ),
                                   load_policy("qianjiang"), TZ, AFTER)
    limits = {a.name: a.gap_limit for a in report.accounts}
    assert (limits["黔江政务通"], limits["黔江文旅"], limits["清新黔江"]) == (10, 7, 10)
    report = await load_inspection(await scope_of("qj-gov"), quarter_of("2025Q4", TZ),
                                   load_policy("jingyuan"), TZ, AFTER)
    assert {a.name: a.gap_limit for a in report.accounts}["清新黔江"] == 7
