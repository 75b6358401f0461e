"""Each 机审 detector: true positives, true negatives and the known false-positive traps."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

from bot.policy import load_policy
from bot.precheck import ERROR, WARN, Finding, default_lists, lexicon_for, precheck
from bot.precheck.findings import (
    AD_ABSOLUTE,
    BANK_CARD,
    ID_NUMBER,
    LEADER_ORDER,
    MAP_NO_APPROVAL,
    MOBILE,
    NORM,
    OUTDATED_NAME,
    PASSPORT,
    SENSITIVE_EVENT,
    SOURCE_PLATFORM,
    SOURCE_UNOFFICIAL,
)
from bot.precheck.lists import DATA_DIR
from bot.precheck.personal import luhn, valid_resident_id
from bot.precheck.sources import SOURCE_SPAN

POLICY = load_policy("default")
VALID_ID = "500114199003071238"
TODAY = date(2024, 6, 1)


def run(text: str, repost_url: str | None = None, **unit: tuple[str, ...]) -> list[Finding]:
    lists = default_lists().with_unit(**unit) if unit else default_lists()
    return list(precheck(text, lexicon_for(lists), is_allowed_source=POLICY.is_allowed_source,
                         repost_url=repost_url, today=TODAY).findings)


def kinds(text: str, **kw: object) -> list[str]:
    return [f.kind for f in run(text, **kw)]  # type: ignore[arg-type]


# --- personal data (rule R-REV-8) ---

def test_resident_id_checksum_date_and_prefix() -> None:
    assert valid_resident_id(VALID_ID, TODAY)
    assert valid_resident_id("11010519491231002X", TODAY)
    assert not valid_resident_id("500114199003071239", TODAY)  # check digit
    assert not valid_resident_id("500114199002301235", TODAY)  # 30 February
    assert not valid_resident_id("990114199003071234", TODAY)  # no such province
    assert not valid_resident_id("500114203003071230", TODAY)  # born in the future


def test_id_number_is_an_error_with_its_span() -> None:
    text = f"经核实，张某（身份证号{VALID_ID}）已登记。"
    [finding] = run(text)
    assert (finding.kind, finding.severity, finding.rule) == (ID_NUMBER, ERROR, "R-REV-8")
    assert text[finding.start:finding.end] == VALID_ID


def test_fullwidth_id_number_is_found_after_nfkc() -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) for c in VALID_ID)
    assert kinds(f"身份证：{wide}") == [ID_NUMBER]


@pytest.mark.parametrize("text", [
    "身份证号500114********1238。",            # masked
    "身份证号5001141990****1238。",
    "依据国发〔2015〕33号文件和渝府办发〔2023〕101号。",  # document numbers
    "订单号500114199003071239已发货。",          # bad checksum
    "编号1500114199003071238号",                 # 19 digits: not an ID
])
def test_id_number_true_negatives(text: str) -> None:
    assert ID_NUMBER not in kinds(text)


def test_mobile_numbers_and_public_lines() -> None:
    assert kinds("联系人王某，电话13812345678。") == [MOBILE]
    assert kinds("联系人王某，电话 138-1234-5678。") == [MOBILE]
    assert kinds("手机：+86 13812345678") == [MOBILE]
    for public in ("咨询电话：13812345678", "举报热线13812345678", "办公电话 13812345678",
                   "请拨打12345政务服务便民热线或110、119、120、122。",
                   "客服电话400-800-1234", "联系人王某，手机138****5678"):
        assert MOBILE not in kinds(public), public


def test_bank_card_luhn_raises_confidence() -> None:
    assert luhn("6222021234567890128") and not luhn("6222021234567890123")
    [sure] = run("请转账至6222021234567890128。")
    [maybe] = run("请转账至6222021234567890123。")
    assert (sure.kind, sure.severity) == (BANK_CARD, ERROR)
    assert (maybe.kind, maybe.severity) == (BANK_CARD, WARN)
    assert kinds("卡号 6225 8812 3456 7898") == [BANK_CARD]
    assert BANK_CARD not in kinds("卡号6222 **** **** 0128")


def test_id_number_starting_with_62_is_not_a_card() -> None:
    base = "62010219800101001"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    gansu = base + "10X98765432"[sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11]
    assert kinds(f"身份证{gansu}") == [ID_NUMBER]


def test_passport_needs_a_cue_word() -> None:
    assert kinds("其护照号码为E12345678。") == [PASSPORT]
    assert kinds("港澳通行证：C12345678") == [PASSPORT]
    assert PASSPORT not in kinds("型号E12345678的设备")


# --- advertising law (广告法 第九条), rule R-REV-6 item 11 ---

def test_strict_ad_terms_anywhere() -> None:
    found = run("本酒店是全区最佳的度假选择。")
    assert [(f.kind, f.text) for f in found] == [(AD_ABSOLUTE, "最佳")]


@pytest.mark.parametrize("text", [
    "我区新增国家级非物质文化遗产两项，国家级非遗传承人三名。",
    "驻村第一书记走访群众，第一时间解决问题。",
    "推行“最多跑一次”改革，落实最低生活保障政策。",
    "最高人民法院、最高人民检察院联合发布典型案例。",
    "第一条 为规范政务新媒体管理，制定本办法。",
])
def test_government_phrases_are_not_ads(text: str) -> None:
    assert AD_ABSOLUTE not in kinds(text)


def test_context_terms_only_in_posts_that_sell() -> None:
    news = "全市第一批示范村名单公布，最美的是山水。"
    sale = "民宿特价：最美山景房88元/晚，欢迎预订，享受优惠。"
    assert AD_ABSOLUTE not in kinds(news)
    assert [f.text for f in run(sale) if f.kind == AD_ABSOLUTE] == ["最美"]
    one_cue = "政府购买服务，最新进展如下。"  # one cue word is not a sale
    assert AD_ABSOLUTE not in kinds(one_cue)


def test_longest_strict_term_wins() -> None:
    assert [f.text for f in run("采用最先进工艺。")] == ["最先进工艺"]


# --- 规范表述 and outdated names (R-REV-6 items 3-4) ---

def test_norms_list_levels_and_quotes() -> None:
    [roc] = run("中华民国时期的老街")
    assert (roc.kind, roc.severity) == (NORM, ERROR) and "台湾当局" in roc.suggestion
    [uyghur] = run("维族群众欢度节日")
    assert (uyghur.severity, uyghur.suggestion) == (ERROR, "维吾尔族")
    assert kinds("坚决反对台独分裂") == [NORM]
    assert kinds("坚决反对“台独”分裂") == []  # quote-level term inside quotation marks
    assert kinds("建设数据中台") == []  # allowed phrase (放行词) around 中台


def test_outdated_names_in_present_tense_only() -> None:
    [old] = run("国家卫计委发布通知，要求各地做好防控。")
    assert (old.kind, old.text) == (OUTDATED_NAME, "国家卫计委")
    assert "国家卫生健康委" in old.suggestion
    for fine in ("原国家卫计委副主任来我区调研。",
                 "2016年，国家旅游局评定我区为示范区。",
                 "请各环保部门、农业部门加强协作。",
                 "原市卫计委相关职能已划入卫生健康委。"):
        assert OUTDATED_NAME not in kinds(fine), fine
    assert kinds("目前国家旅游局已出台办法") == [OUTDATED_NAME]


def test_leader_title_order() -> None:
    wrong = "国家主席、中共中央总书记、中央军委主席习近平"
    right = "中共中央总书记、国家主席、中央军委主席习近平"
    assert kinds(wrong) == [LEADER_ORDER]
    assert kinds(right) == []


# --- repost sources (R-REV-4) ---

def test_sources_by_host_boundary() -> None:
    assert run("详见 https://www.gov.cn/zhengce/content.htm") == []
    assert run("来源 http://www.news.cn/a.htm。") == []
    [evil] = run("来源 https://gov.cn.evil.com/a")
    assert (evil.kind, evil.suggestion) == (SOURCE_UNOFFICIAL, "gov.cn.evil.com")
    [fake] = run("来源 https://notgov.cn/a")
    assert fake.kind == SOURCE_UNOFFICIAL
    [wx] = run("原文：https://mp.weixin.qq.com/s/abc，")
    assert (wx.kind, wx.text) == (SOURCE_PLATFORM, "https://mp.weixin.qq.com/s/abc")


def test_repost_line_is_checked_too() -> None:
    [line] = run("正文", repost_url="https://www.toutiao.com/a1")
    assert (line.kind, line.start, line.rule) == (SOURCE_PLATFORM, SOURCE_SPAN, "R-REV-4")
    assert run("正文", repost_url="https://www.qianjiang.gov.cn/a") == []


# --- maps (R-REV-9) and local sensitive events (R-REV-7) ---

def test_map_needs_an_approval_number() -> None:
    assert kinds("附：我区旅游线路图") == [MAP_NO_APPROVAL]
    assert kinds("附：我区旅游线路图（审图号：GS(2024)0650号）") == []
    assert kinds("附：全区地图，审图号：渝S（2023）012号") == []
    assert kinds("附中国地图，来源：自然资源部标准地图服务") == []
    assert kinds("制定时间表、路线图，压实责任。") == []


def test_sensitive_words_and_unit_additions() -> None:
    [event] = run("某镇发生群体性事件，群体性事件已平息。")
    assert (event.kind, event.rule) == (SENSITIVE_EVENT, "R-REV-7")
    assert kinds("濯水古镇举行龙舟赛") == []
    assert kinds("濯水古镇举行龙舟赛", sensitive=("龙舟赛",)) == [SENSITIVE_EVENT]
    assert kinds("本店最佳", allow=("本店最佳",)) == []
    assert kinds("本店超值", ad=("超值",)) == [AD_ABSOLUTE]


def test_automaton_is_cached_per_list_set() -> None:
    base = default_lists()
    assert lexicon_for(base) is lexicon_for(default_lists())
    changed = base.with_unit(sensitive=("龙舟赛",))
    assert lexicon_for(changed) is not lexicon_for(base)
    assert lexicon_for(changed) is lexicon_for(base.with_unit(sensitive=("龙舟赛",)))


def test_edited_list_file_is_read_again_without_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    before = default_lists(data)
    assert default_lists(data) is before  # unchanged files: the cached set
    events = data / "sensitive_events.txt"
    events.write_text(events.read_text("utf-8") + "龙舟赛\n", "utf-8")
    later = time.time() + 5  # a distinct mtime even on coarse file systems
    os.utime(events, (later, later))
    assert "龙舟赛" in default_lists(data).sensitive


def test_spans_index_the_draft_as_written() -> None:
    """NFKC may change lengths (㈱ → (株)); spans still point into the original text."""
    for text in ("㈱说明：中华民国时期，电话１３８１２３４５６７８。",
                 "说明，中华民国时期，电话１３８１２３４５６７８。"):
        report = precheck(text, lexicon_for(default_lists()),
                          is_allowed_source=POLICY.is_allowed_source)
        spans = [text[f.start:f.end] for f in report.findings]
        assert spans == ["中华民国", "１３８１２３４５６７８"]
        assert report.text == text


def test_fast_normalization_equals_nfkc() -> None:
    """The runs left out of NFKC really are NFKC-stable, so the fast path is exact."""
    import unicodedata

    from bot.precheck.findings import normalize_text
    stable = [chr(c) for r in ((0, 0x80), (0x3001, 0x3036), (0x4E00, 0xA000)) for c in range(*r)]
    assert all(unicodedata.normalize("NFKC", ch) == ch for ch in stable)
    sample = "ＧＳ（２０２４）０６５０号，㈱…ﬁ　１３８。中華"
    assert normalize_text(sample) == unicodedata.normalize("NFKC", sample)
