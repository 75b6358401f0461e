"""The authorization table drives this test: for every row (every chat command and card
action), every persona of the demo office tries it through the chat interface, and the
bot refuses exactly those the table refuses (R-REV-3, R-ACC-9, R-REV-5, R-RLY-1)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import utcnow
from bot.events import button_key
from handlers import ROUTERS
from handlers.common import authz
from models.followups import CounterfeitReport, Interpretation, PublicMessage, Rectification
from models.intake import Compose
from models.org import Absence, Account, Person
from models.registry import Filing, FilingState
from models.relay import RelayTask
from models.review import Draft, DraftState, DraftVersion
from tests.conftest import Harness

# qj-wlw is the subject's unit: wangwu (editor, admin of 黔江文旅), lisi (editor), zhangming
# (reviewer), liufang (approver), chenwei (chief); zhaoqiang supervises it from qj-gov;
# sunli and zhengyu are in another unit, as is qianfeng, a supervisor with nothing below.
PERSONAS = ("wangwu", "lisi", "zhangming", "liufang", "chenwei", "zhaoqiang", "sunli",
            "zhengyu", "qianfeng")
DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"
SITE = "黔江文旅网"


@dataclass
class Subject:
    """What a row acts on: its unit, each persona's ties to it, and how to try it."""

    send: Callable[[Harness, str], Awaitable[str]]
    unit: str | None = "qj-wlw"  # None: the persona's own unit
    ties: dict[str, set[str]] = field(default_factory=dict)
    stage: str | None = None


Setup = Callable[[Harness], Awaitable[Subject]]


def says(text: str) -> Callable[[Harness, str], Awaitable[str]]:
    async def send(bot: Harness, user: str) -> str:
        return await bot.say(user, text)
    return send


def taps(key: str) -> Callable[[Harness, str], Awaitable[str]]:
    async def send(bot: Harness, user: str) -> str:
        await bot.tap(user, key)
        texts = await bot.texts(user)
        return texts[-1] if texts else ""
    return send


async def _draft(bot: Harness) -> Draft:
    await bot.say("wangwu", DRAFT)
    return await Draft.all().order_by("-id").first()  # type: ignore[return-value]


DRAFT_TIES = {"wangwu": {"author", "admin"}, "zhangming": {"assignee", "reviewed"}}


def on_draft(template: str) -> Setup:
    async def setup(bot: Harness) -> Subject:
        draft = await _draft(bot)
        return Subject(says(template.format(n=draft.id)), ties=DRAFT_TIES)
    return setup


def tap_receipt(verb: str) -> Setup:
    """A (draft, version) button: 撤回 / 催办 on the author's receipt, 同意撤回 on a
    withdraw request card."""
    async def setup(bot: Harness) -> Subject:
        draft = await _draft(bot)
        return Subject(taps(button_key(verb, draft.id, 1)), ties=DRAFT_TIES)
    return setup


def tap_draft(verb: str, *more: object) -> Setup:
    async def setup(bot: Harness) -> Subject:
        draft = await _draft(bot)
        return Subject(taps(button_key(verb, draft.id, 2, 1, *more)), ties=DRAFT_TIES)
    return setup


def on_account(text: str, unit: str | None = "qj-wlw") -> Setup:
    async def setup(bot: Harness) -> Subject:
        await Account.filter(name="黔江文旅").update(status="normal")
        return Subject(says(text), unit=unit, ties={"wangwu": {"admin"}})
    return setup


def on_filing(make: Callable[[int], Callable[[Harness, str], Awaitable[str]]],
              stage: str) -> Setup:
    async def setup(bot: Harness) -> Subject:
        await Filing.filter(state__in=(FilingState.CHIEF, FilingState.SUPERVISOR)) \
            .update(state=FilingState.REJECTED)
        await bot.say("wangwu", "变更 黔江文旅\n简介：新的简介")
        filing = await Filing.all().order_by("-id").first()
        assert filing is not None
        if stage == FilingState.SUPERVISOR:
            await bot.say("chenwei", f"同意备案 #{filing.id}")
        return Subject(make(filing.id), ties={"wangwu": {"filer"}}, stage=stage)
    return setup


def on_suspended(text: str) -> Setup:
    async def setup(bot: Harness) -> Subject:
        await Account.filter(name="黔江文旅").update(status="suspended")
        return Subject(says(text), ties={"wangwu": {"admin"}})
    return setup


def on_opening(template: str) -> Setup:
    async def setup(bot: Harness) -> Subject:
        await bot.say("wangwu", "开设 黔江新号\n平台：微信订阅号")
        filing = await Filing.all().order_by("-id").first()
        assert filing is not None
        return Subject(says(template.format(n=filing.id)), ties={"wangwu": {"filer"}})
    return setup


def filing_text(word: str) -> Callable[[int], Callable[[Harness, str], Awaitable[str]]]:
    return lambda n: says(f"{word} #{n} 理由")


def filing_tap(verb: str, stage: str) -> Callable[[int], Callable[[Harness, str],
                                                                   Awaitable[str]]]:
    return lambda n: taps(button_key(verb, n, stage))


def on_approved(form: str, make: Callable[[int], Callable[[Harness, str],
                                                          Awaitable[str]]]) -> Setup:
    """An approved filing of 黔江文旅 with open follow-ups (R-ACC-2..4)."""
    async def setup(bot: Harness) -> Subject:
        await Account.filter(name="黔江文旅").update(status="normal")
        await Filing.filter(state__in=(FilingState.CHIEF, FilingState.SUPERVISOR)) \
            .update(state=FilingState.REJECTED)
        await bot.say("wangwu", form)
        filing = await Filing.all().order_by("-id").first()
        assert filing is not None
        await bot.say("chenwei", f"同意备案 #{filing.id}")
        await bot.say("zhaoqiang", f"同意备案 #{filing.id}")
        return Subject(make(filing.id), ties={"wangwu": {"filer"}})
    return setup


VENDOR = "变更 黔江文旅\n外包单位：某传媒公司\n外包单位资质：甲级"


def plain(text: str, unit: str | None = None) -> Setup:
    async def setup(bot: Harness) -> Subject:
        return Subject(says(text), unit=unit)
    return setup


async def _relay(bot: Harness) -> int:
    await bot.say("zhaoqiang", "转载 https://www.gov.cn/xinwen/1.htm 重要通知")
    task = await RelayTask.all().order_by("-id").first()
    assert task is not None
    return task.id


def on_relay(template: str) -> Setup:
    async def setup(bot: Harness) -> Subject:
        n = await _relay(bot)
        unit = None if template.startswith("已转载") else "qj-gov"
        return Subject(says(template.format(n=n)), unit=unit, ties={"zhaoqiang": {"creator"}})
    return setup


def on_fix(template: str) -> Setup:
    async def setup(bot: Harness) -> Subject:
        await bot.say("chenwei", "整改 黔江文旅 简介电话停用 1")
        fix = await Rectification.all().order_by("-id").first()
        assert fix is not None
        if template.startswith(("确认", "退回")):
            await bot.say("wangwu", f"已整改 {fix.id}")
        return Subject(says(template.format(n=fix.id)),
                       ties={"chenwei": {"opener"}, "wangwu": {"admin"}})
    return setup


def on_message(template: str) -> Setup:
    async def setup(bot: Harness) -> Subject:
        await bot.say("lisi", "留言 黔江文旅 网友询问开放时间")
        row = await PublicMessage.all().order_by("-id").first()
        assert row is not None
        return Subject(says(template.format(n=row.id)), ties={"wangwu": {"admin"}})
    return setup


async def _interpretation(bot: Harness) -> Subject:
    await bot.say("lisi", "解读 关于文旅消费的措施 2025-08-25")
    row = await Interpretation.all().order_by("-id").first()
    assert row is not None
    return Subject(says(f"已解读 {row.id}"))


async def _counterfeit(bot: Harness) -> Subject:
    await bot.say("sunli", "仿冒 抖音 黔江文旅 冒用文旅委名义推销团购")
    row = await CounterfeitReport.all().order_by("-id").first()
    assert row is not None
    return Subject(says(f"仿冒处置 {row.id} 核实"), ties={"sunli": {"reporter"}})


def on_site(text: str) -> Setup:
    async def setup(bot: Harness) -> Subject:
        if not await Account.exists(name=SITE):
            site = await Account.create(name=SITE, platform="website", unit_id="qj-wlw")
            await site.admins.add(await Person.get(id="wangwu"))
        return Subject(says(text), ties={"wangwu": {"admin"}})
    return setup


async def _compose(bot: Harness) -> Subject:
    """A draft whose join window has passed: the closer's event comes as its author."""
    account = await Account.get(name="黔江文旅")
    draft = await Draft.create(account=account, author_id="wangwu", title="标题", body="正文",
                               state=DraftState.RECEIVING)
    await DraftVersion.create(draft=draft, version=1, title="标题", body="正文")
    compose = await Compose.create(draft=draft, version=1, author_id="wangwu", channel="sim",
                                   user_id="wangwu", closes_at=utcnow() - timedelta(seconds=1))
    return Subject(taps(button_key("compose_close", compose.id)), unit=None,
                   ties={"wangwu": {"author"}})


async def _asked(bot: Harness) -> Subject:
    """Level 2 decided, the author asked to withdraw: the holder of level 3 may agree."""
    draft = await _draft(bot)
    await bot.say("zhangming", f"通过 #{draft.id}")
    await bot.say("wangwu", f"撤回 #{draft.id} 标题要改")
    return Subject(says(f"撤回 #{draft.id}"),
                   ties={"wangwu": {"author", "admin"}, "zhangming": {"reviewed"},
                         "liufang": {"asked", "assignee", "reviewed"}})


def _today(days: int = 0) -> str:
    return (utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=days)) \
        .isoformat()


async def _away(bot: Harness) -> Subject:
    return Subject(says(f"请假 王五 {_today()} {_today(1)}"), ties={"wangwu": {"self"}})


async def _absent(deputy: str | None = None) -> Absence:
    return await Absence.create(person_id="wangwu", deputy_id=deputy, set_by="wangwu",
                                starts_at=utcnow() - timedelta(minutes=1),
                                ends_at=utcnow() + timedelta(days=1))


async def _back(bot: Harness) -> Subject:
    await _absent()
    return Subject(says("销假 王五"), ties={"wangwu": {"self"}})


async def _away_start(bot: Harness) -> Subject:
    """The scheduler's event as the absent person (bot/scheduler.py start_absences)."""
    absence = await _absent("lisi")
    return Subject(taps(button_key("away_start", absence.id)), ties={"wangwu": {"self"}})


CHIEF, SUPER = FilingState.CHIEF, FilingState.SUPERVISOR
SCENARIOS: dict[str, list[Setup]] = {
    "投稿": [on_account(DRAFT)],
    "修改": [on_draft("修改 #{n}\n新标题\n新正文")],
    "通过": [on_draft("通过 #{n}")],
    "退回": [on_draft("退回 #{n} 日期有误")],
    "card:approve": [tap_draft("approve")],
    "card:reject": [tap_draft("reject")],
    "card:rejectwith": [tap_draft("rejectwith", 0)],
    "已发布": [on_draft("已发布 #{n} https://mp.weixin.qq.com/s/x")],
    "全文": [on_draft("全文 #{n}")],
    "机审": [on_draft("机审 #{n}")],
    "误报": [on_draft("误报 #{n} 1")],
    "登记表": [on_draft("登记表 #{n}")],
    "撤回": [on_draft("撤回 #{n} 数据要更新"), _asked],
    "催办": [on_draft("催办 #{n}")],
    "card:withdraw": [tap_receipt("withdraw")],
    "card:nudge": [tap_receipt("nudge")],
    "转交": [on_draft("转交 #{n} 刘芳 出差")],
    "card:handover": [tap_draft("handover")],
    "card:handoverto": [tap_draft("handoverto", "liufang")],
    "改派": [on_draft("改派 #{n} 刘芳")],
    "请假": [_away],
    "销假": [_back],
    "card:away_start": [_away_start],
    "待办": [plain("待办")],
    "帮助": [plain("帮助")],
    "提醒设置": [plain("提醒设置")],
    "我的账号": [plain("我的账号")],
    "词库": [plain("词库")],
    "季度报告": [plain("季度报告")],
    "看板": [plain("看板")],
    "查询": [on_account("查询 黔江文旅")],
    "台账": [on_account("台账 黔江区文化和旅游发展委员会")],
    "开设": [on_account("开设 黔江新号\n平台：微信订阅号", unit=None)],
    "补录": [on_account("补录 黔江旧号\n平台：新浪微博", unit=None)],
    "变更": [on_account("变更 黔江文旅\n简介：新简介")],
    "暂停": [on_account("暂停 黔江文旅\n理由：调整")],
    "恢复": [on_suspended("恢复 黔江文旅\n理由：整改完成")],
    "关停": [on_account("关停 黔江文旅\n理由：调整")],
    "注销": [on_account("注销 黔江文旅\n理由：调整")],
    "材料": [on_opening("材料 #{n} 1")],
    "紧急关停": [on_account("紧急关停 黔江文旅 账号疑似被盗")],
    "已改密": [on_account("已改密 黔江文旅")],
    "已操作": [on_approved(VENDOR, lambda n: says(f"已操作 #{n}"))],
    "已报备": [on_approved(VENDOR, lambda n: says(f"已报备 #{n}"))],
    "已公告": [on_approved("暂停 黔江文旅\n理由：调整",
                        lambda n: says(f"已公告 #{n} https://mp.weixin.qq.com/s/n"))],
    "card:filing_done": [on_approved(VENDOR, lambda n: taps(button_key("filing_done", n,
                                                                       "platform_change")))],
    "同意备案": [on_filing(filing_text("同意备案"), CHIEF),
             on_filing(filing_text("同意备案"), SUPER)],
    "退回备案": [on_filing(filing_text("退回备案"), CHIEF),
             on_filing(filing_text("退回备案"), SUPER)],
    "card:filing_approve": [on_filing(filing_tap("filing_approve", CHIEF), CHIEF),
                            on_filing(filing_tap("filing_approve", SUPER), SUPER)],
    "card:filing_reject": [on_filing(filing_tap("filing_reject", CHIEF), CHIEF),
                           on_filing(filing_tap("filing_reject", SUPER), SUPER)],
    "card:compose_close": [_compose],
    "转载": [plain("转载 https://www.gov.cn/xinwen/2.htm 通知")],
    "已转载": [on_relay("已转载 {n} https://mp.weixin.qq.com/s/r")],
    "转载进度": [on_relay("转载进度 {n}")],
    "整改": [on_account("整改 黔江文旅 简介电话停用 1")],
    "已整改": [on_fix("已整改 {n}")],
    "确认整改": [on_fix("确认整改 {n}")],
    "退回整改": [on_fix("退回整改 {n} 仍未更正")],
    "留言": [on_account("留言 黔江文旅 网友询问开放时间")],
    "已受理": [on_message("已受理 {n}")],
    "已答复": [on_message("已答复 {n} https://mp.weixin.qq.com/s/answer")],
    "解读": [plain("解读 关于文旅消费的措施 2025-08-25")],
    "已解读": [_interpretation],
    "仿冒": [plain("仿冒 抖音 黔江文旅 冒用文旅委名义推销团购")],
    "仿冒处置": [_counterfeit],
    "值班": [plain("值班 10月1日-10月4日 王五")],
    "值班表": [on_account("值班表 黔江区文化和旅游发展委员会")],
    "栏目": [on_site(f"栏目 {SITE}")],
    "栏目更新": [on_site(f"栏目更新 {SITE} 通知公告 2025-09-01")],
    "权限": [on_account("权限 黔江文旅 张三 外包")],
    "收回权限": [on_account("收回权限 黔江文旅 张三")],
    "保密审查": [on_account("保密审查 王五 2025-03-01")],
    "培训": [on_account("培训 王五 2025-03-05")],
}


def test_every_command_and_card_action_has_a_row() -> None:
    """The table covers every chat command and card action the routers register."""
    routes = {("card:" if r.kind.name == "CARD_ACTION" else "") + r.name
              for router in ROUTERS for r in router.routes if not r.name.startswith("\x00")}
    rows = {name for name in authz.table() if ":" not in name or name.startswith("card:")}
    assert routes == rows
    assert set(SCENARIOS) == rows


# a card button that stands for a command is decided by the same rule (issue 20)
CARD_AS_COMMAND = {"card:approve": "通过", "card:reject": "退回", "card:rejectwith": "退回",
                   "card:withdraw": "撤回", "card:nudge": "催办", "card:handover": "转交",
                   "card:handoverto": "转交"}


def test_a_card_tap_is_decided_as_its_command() -> None:
    rows = authz.table()
    for card, command in CARD_AS_COMMAND.items():
        tap, typed = rows[card], rows[command]
        assert (tap.rule, tap.grants, tap.deny, tap.refusal) == \
            (typed.rule, typed.grants, typed.deny, typed.refusal), card


async def _persona_qianfeng() -> None:
    await Person.create(id="qianfeng", name="钱峰", unit_id="qj-gaj", roles=["supervisor"])


@pytest.mark.parametrize("action", sorted(SCENARIOS))
async def test_the_table_decides(bot: Harness, action: str,
                                 caplog: pytest.LogCaptureFixture) -> None:
    """Each persona tries the row's command; refused exactly when the table says so."""
    await _persona_qianfeng()
    row = authz.table()[action]
    people = {p.id: p for p in await Person.filter(id__in=PERSONAS)}
    for setup in SCENARIOS[action]:
        subject: Subject | None = None
        for pid in PERSONAS:
            if subject is None:
                subject = await setup(bot)
            person = people[pid]
            where = await authz.where_of(person, subject.unit)
            expected = authz.decide(row, person.roles, where, subject.ties.get(pid, set()),
                                    subject.stage)
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="handlers.common.authz"):
                reply = await subject.send(bot, pid)
            refused = any(r.getMessage() == f"authz refused {action} to {pid}"
                          for r in caplog.records)
            assert refused is not expected, (action, subject.stage, pid, where, reply)
            if expected:
                subject = None  # it may have changed the subject: a fresh one for the next
            else:
                assert reply, (action, pid)  # a refusal is said, never silent


async def test_query_shows_no_other_units_draft_titles(bot: Harness) -> None:
    """rule R-REV-5: 查询 lists drafts in review for the unit, its supervisors and admins."""
    await _draft(bot)
    assert "秋季旅游节开幕" in await bot.say("lisi", "查询 黔江文旅")
    assert "秋季旅游节开幕" in await bot.say("zhaoqiang", "查询 黔江文旅")
    other = await bot.say("sunli", "查询 黔江文旅")
    assert "黔江文旅" in other and "秋季旅游节开幕" not in other


async def test_relay_progress_shows_only_the_askers_area(bot: Harness) -> None:
    """rule R-RLY-1: a supervisor sees the units in their area; the task's creator all."""
    await _persona_qianfeng()
    n = await _relay(bot)
    everything = await bot.say("zhaoqiang", f"转载进度 {n}")
    assert "黔江区公安局" in everything and "黔江区文化和旅游发展委员会" in everything
    area = await bot.say("qianfeng", f"转载进度 {n}")
    assert "黔江区公安局" in area and "黔江区文化和旅游发展委员会" not in area
    refused = await bot.say("lisi", f"转载进度 {n}")
    assert "黔江区公安局" not in refused and "黔江区文化和旅游发展委员会" not in refused


async def test_nobody_approves_a_filing_they_filed(bot: Harness) -> None:
    """The chief's own filing skips the chief stage when no other chief can decide; with a
    second chief it waits for that one, and the filer is refused at every stage."""
    reply = await bot.say("chenwei", "变更 黔江文旅\n简介：新的简介")
    filing = await Filing.all().order_by("-id").first()
    assert filing is not None and filing.state == FilingState.SUPERVISOR
    assert "赵强" in reply and "不能审批自己提交的备案" in reply
    assert "提交人不能审批" in await bot.say("chenwei", f"同意备案 #{filing.id}")
    assert (await Filing.get(id=filing.id)).state == FilingState.SUPERVISOR
    await bot.say("zhaoqiang", f"退回备案 #{filing.id} 重新提交")

    await Person.create(id="chief2", name="副主任", unit_id="qj-wlw", roles=["chief"])
    reply = await bot.say("chenwei", "变更 黔江文旅\n简介：另一份简介")
    filing = await Filing.all().order_by("-id").first()
    assert filing is not None and filing.state == FilingState.CHIEF and "副主任" in reply
    await bot.tap("chenwei", button_key("filing_approve", filing.id, CHIEF))
    assert "提交人不能审批" in (await bot.texts("chenwei"))[-1]
    assert (await Filing.get(id=filing.id)).state == FilingState.CHIEF
    await bot.say("chief2", f"同意备案 #{filing.id}")
    assert (await Filing.get(id=filing.id)).state == FilingState.SUPERVISOR


async def test_emergency_closing_is_for_admins_chief_and_supervisors(bot: Harness) -> None:
    """rule R-ACC-9: a plain editor of the unit cannot 紧急关停 an account of it."""
    assert "可以紧急关停该账号" in await bot.say("lisi", "紧急关停 黔江文旅 账号疑似被盗")
    assert (await Account.get(name="黔江文旅")).status == "normal"
    assert "已紧急关停" in await bot.say("chenwei", "紧急关停 黔江文旅 账号疑似被盗")
