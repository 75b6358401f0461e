"""机审 through the router: findings on the card, 机审 #N, 误报, confirmation before 通过,
and 词库 edits that take effect on the next draft without a restart."""

from __future__ import annotations

import json

from bot.precheck.findings import TITLE_SPAN
from handlers.precheck.review import chief_findings
from models.precheck import PrecheckFinding, PrecheckWord, ReviewCheck
from models.review import Draft, DraftState, ReviewStep
from models.system import AuditEvent
from tests.conftest import Harness
from tests.wecom_office import Office

ID_DRAFT = ("投稿 黔江文旅\n低保公示\n申请人张某某，身份证号500114199003071238，"
            "联系电话13912345678。")
CLEAN_DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"


async def _audit(action: str) -> list[dict[str, object]]:
    rows = await AuditEvent.filter(action=action).order_by("seq").values_list("data", flat=True)
    return [json.loads(r) for r in rows]


async def test_findings_are_stored_and_shown_on_the_card(bot: Harness) -> None:
    """rule R-REV-8: the ID number is an error on the card, with its place in the text."""
    await bot.say("wangwu", ID_DRAFT)
    findings = await PrecheckFinding.filter(draft_id=1, version=1).order_by("seq")
    assert [(f.seq, f.kind, f.severity) for f in findings] == [
        (1, "id_number", "error"), (2, "mobile", "warn")]
    card = await bot.live_card("zhangming")
    body = card["body_md"]
    assert "机审提示**：错误 1 条，提醒 1 条" in body
    assert "1. [错误] 身份证号（R-REV-8）：" in body and "【500114199003071238】" in body
    assert ["机审", "错误 1 · 提醒 1"] in card["fields"]
    assert "通过 #1 已核" in body
    assert (await _audit("precheck.run"))[-1] == {"version": 1, "errors": 1, "findings": 2}


async def test_clean_draft_card_has_no_precheck_block(bot: Harness) -> None:
    await bot.say("wangwu", CLEAN_DRAFT)
    assert "机审提示" not in (await bot.live_card("zhangming"))["body_md"]
    assert "未发现问题" in await bot.say("zhangming", "机审 #1")


async def test_error_needs_a_second_tap(bot: Harness) -> None:
    """Never a silent block: the first tap asks, the second approves and records it."""
    await bot.say("wangwu", ID_DRAFT)
    card = await bot.live_card("zhangming")
    reply = await bot.tap("zhangming", bot.key(card, "通过"))
    assert "错误级机审提示（第 1 条" in reply and "已核" in reply
    step = await ReviewStep.get(draft_id=1, level=2)
    assert step.decision is None
    assert await bot.tap("zhangming", bot.key(card, "通过")) == ""
    await step.refresh_from_db()
    assert step.decision == "approve"
    check = await ReviewCheck.get(step_id=step.id)
    assert check.confirmed_findings == [1] and len(check.checklist) == 12
    approval = (await _audit("review.approve"))[-1]
    assert approval["precheck_confirmed"] == [1]
    assert approval["checklist"][0].startswith("是否涉及国家秘密")  # rule R-REV-6


async def test_approve_text_with_confirmation(bot: Harness) -> None:
    await bot.say("wangwu", ID_DRAFT)
    reply = await bot.say("zhangming", "通过 #1")
    assert "请确认已处理" in reply
    assert "已通过稿件 #1" in await bot.say("zhangming", "通过 #1 已核 身份证号已遮盖")
    step = await ReviewStep.get(draft_id=1, level=2)
    assert step.comment == "身份证号已遮盖"
    # the final level has its own confirmation, in one message
    assert "已通过稿件 #1" in await bot.say("liufang", "通过 ＃1 已核")
    assert (await Draft.get(id=1)).state == DraftState.APPROVED


async def test_clean_draft_approval_records_the_checklist(bot: Harness) -> None:
    await bot.say("wangwu", CLEAN_DRAFT)
    assert "已通过稿件 #1" in await bot.say("zhangming", "通过 #1")
    approval = (await _audit("review.approve"))[-1]
    assert len(approval["checklist"]) == 12 and approval["precheck_confirmed"] == []


async def test_show_all_findings(bot: Harness) -> None:
    await bot.say("wangwu", ID_DRAFT)
    text = await bot.say("zhangming", "机审 #1")
    assert "共 2 条" in text and "1. [错误] 身份证号" in text and "2. [提醒] 手机号" in text
    assert "去标识化（R-REV-8）" in text
    assert "不是稿件 #1 的起草人或审核人" in await bot.say("sunli", "机审 #1")
    assert "没有找到稿件 #9" in await bot.say("zhangming", "机审 #9")
    assert "机审 #稿件号" in await bot.say("zhangming", "机审 1")


async def test_false_positive_mark_clears_the_error(bot: Harness) -> None:
    await bot.say("wangwu", ID_DRAFT)
    assert "当前版本的审核人" in await bot.say("wangwu", "误报 #1 1")  # the author
    assert "当前版本的审核人" in await bot.say("liufang", "误报 #1 1")
    assert "没有第 7 条" in await bot.say("zhangming", "误报 #1 7")
    assert "标记误报：" in await bot.say("zhangming", "误报 #1 一")
    assert "第 1 条机审提示标记为误报" in await bot.say("zhangming", "误报 #1 1")
    assert "此前已标记" in await bot.say("zhangming", "误报 #1 1")
    finding = await PrecheckFinding.get(draft_id=1, seq=1)
    assert finding.false_positive_by_id == "zhangming"  # type: ignore[attr-defined]
    assert "（已标为误报）" in await bot.say("zhangming", "机审 #1")
    # no open error left: one tap approves
    card = await bot.live_card("zhangming")
    assert await bot.tap("zhangming", bot.key(card, "通过")) == ""
    assert (await ReviewStep.get(draft_id=1, level=2)).decision == "approve"


async def test_asked_then_marked_false_positive_keeps_one_check_row(bot: Harness) -> None:
    """The approval writes the row the ask made (rule R-REV-6): asked, then the error
    marked 误报, then 通过 with no error open."""
    await bot.say("wangwu", ID_DRAFT)
    card = await bot.live_card("zhangming")
    assert "已核" in await bot.tap("zhangming", bot.key(card, "通过"))
    assert "第 1 条机审提示标记为误报" in await bot.say("zhangming", "误报 #1 1")
    card = await bot.live_card("zhangming")
    assert await bot.tap("zhangming", bot.key(card, "通过")) == ""
    step = await ReviewStep.get(draft_id=1, level=2)
    assert step.decision == "approve"
    [check] = await ReviewCheck.filter(step_id=step.id)
    assert check.asked_at is not None and check.confirmed_at is not None
    assert check.confirmed_findings == [] and len(check.checklist) == 12


async def test_words_commands_take_effect_without_restart(bot: Harness) -> None:
    """rule R-REV-7: a supervisor's sensitive word flags the next draft of units below."""
    assert "只有主管单位人员" in await bot.say("zhangming", "词库 添加 敏感 龙舟赛")
    assert "已加入敏感词：龙舟赛" in await bot.say("zhaoqiang", "词库 添加 敏感 龙舟赛")
    await bot.say("wangwu", "投稿 黔江文旅\n龙舟赛预告\n端午节将举行龙舟赛。")
    kinds = await PrecheckFinding.filter(draft_id=1).values_list("kind", flat=True)
    assert kinds == ["sensitive_event"]
    assert "本地敏感事件" in (await bot.live_card("zhangming"))["body_md"]

    await bot.say("zhangming", "误报 #1 1")
    listing = await bot.say("zhaoqiang", "词库")
    assert "敏感词：龙舟赛" in listing and "- 龙舟赛（1 次）" in listing
    assert "已加入放行词：龙舟赛" in await bot.say("zhaoqiang", "词库 放行 龙舟赛")
    assert "建议放行" not in await bot.say("zhaoqiang", "词库")
    await bot.say("lisi", "投稿 黔江文旅\n龙舟赛回顾\n龙舟赛圆满结束。")
    assert await PrecheckFinding.filter(draft_id=2).count() == 0

    assert "已删除：龙舟赛" in await bot.say("zhaoqiang", "词库 删除 龙舟赛")
    assert await PrecheckWord.all().count() == 0
    assert "词库用法" in await bot.say("zhaoqiang", "词库 添加 其他 词")
    assert "词库用法" in await bot.say("zhaoqiang", "词库 放行 一")


async def test_repost_from_platform_is_on_the_card(bot: Harness) -> None:
    """rule R-REV-4: the 转载 line is checked; a self-media source goes to the chief."""
    await bot.say("wangwu", "投稿 黔江文旅\n转载：https://www.toutiao.com/a1\n转发\n正文。")
    body = (await bot.live_card("zhangming"))["body_md"]
    assert "平台链接（R-REV-4）：转载：https://www.toutiao.com/a1" in body
    await bot.say("zhangming", "通过 #1")
    assert ["审核环节", "三审三校·主要负责人"] in (await bot.live_card("chenwei"))["fields"]


async def test_revision_is_prechecked_again(bot: Harness) -> None:
    await bot.say("wangwu", ID_DRAFT)
    await bot.say("zhangming", "退回 #1 请遮盖身份证号")
    await bot.say("wangwu", "修改 #1\n低保公示\n申请人张某某，身份证号500114********1238。")
    assert await PrecheckFinding.filter(draft_id=1, version=2).count() == 0
    assert await PrecheckFinding.filter(draft_id=1, version=1).count() == 2
    assert "机审提示" not in (await bot.live_card("zhangming"))["body_md"]


# three ad warnings stand before the two errors in the text
ADS_THEN_ERRORS = ("投稿 黔江文旅\n廊桥人家民宿特惠\n全城最佳的民宿，古镇最大的露台，度假首选，"
                   "特价299元/晚，欢迎预订。房东身份证号500114199003071238，"
                   "收款卡号6222021234567890128。")


async def test_card_leads_with_errors_and_counts_them(bot: Harness) -> None:
    """Issue 15: errors first, then warnings, each with its rule; the count is a field."""
    await bot.say("wangwu", ADS_THEN_ERRORS)
    card = await bot.live_card("zhangming")
    assert ["机审", "错误 2 · 提醒 3"] in card["fields"]
    lines = [line for line in card["body_md"].splitlines() if line.startswith("- ")]
    assert lines[0].startswith("- 1. [错误] 身份证号（R-REV-8）")
    assert lines[1].startswith("- 2. [错误] 银行卡号（R-REV-8）")
    assert lines[2].startswith("- 3. [提醒] 广告绝对化用语（R-REV-6）：")
    assert lines[3] == "- ……另有 2 条"
    listing = await bot.say("zhangming", "机审 #1")
    assert listing.index("1. [错误] 身份证号") < listing.index("3. [提醒] 广告绝对化用语")


async def test_clean_card_still_shows_the_count(bot: Harness) -> None:
    await bot.say("wangwu", CLEAN_DRAFT)
    assert ["机审", "错误 0 · 提醒 0"] in (await bot.live_card("zhangming"))["fields"]


async def test_stored_spans_index_the_body_as_stored(bot: Harness) -> None:
    """The draft page highlights findings in Draft.body; a title finding says TITLE_SPAN."""
    await bot.say("wangwu", "投稿 黔江文旅\n国家卫计委来我区调研\n"
                            "调研组听取了区卫计局工作汇报，联系人王某，电话13912345678。")
    draft = await Draft.get(id=1)
    findings = await PrecheckFinding.filter(draft_id=1).order_by("seq")
    spans = {f.text: (f.start, f.end) for f in findings}
    assert spans["国家卫计委"] == (TITLE_SPAN, TITLE_SPAN)
    for text in ("卫计局", "13912345678"):
        start, end = spans[text]
        assert draft.body[start:end] == text


async def test_sensitive_event_and_commercial_link_are_chief_findings(bot: Harness) -> None:
    """The API the routing reads (R-REV-7, R-REV-4): findings that need the chief."""
    await bot.say("wangwu", "投稿 黔江文旅\n情况通报\n某村发生山体塌方，1人遇难。"
                            "详见 https://shop.example.com/a 。区人民医院积极救治。")
    draft = await Draft.get(id=1)
    chief = await chief_findings(draft)
    assert sorted(f.kind for f in chief) == ["sensitive_event", "sensitive_event",
                                            "source_unofficial"]
    assert all(f.needs_chief for f in chief)
    await bot.say("zhangming", f"误报 #1 {chief[0].seq}")
    assert len(await chief_findings(draft)) == 2  # a 误报 mark takes one out


async def test_wecom_template_card_carries_the_count(office: Office) -> None:
    """On WeCom the findings' count shows on the tappable card itself, not only in the text."""
    await office.say("wangwu", ID_DRAFT)
    card = office.live_card("zhangming")
    assert {"keyname": "机审", "value": "错误 1 · 提醒 1"} in card["horizontal_content_list"]
