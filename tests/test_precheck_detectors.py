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
    ADDRESS,
    BANK_CARD,
    CONTENT_RULE,
    ID_NUMBER,
    LEADER_ORDER,
    MAP_NO_APPROVAL,
    MINOR,
    MOBILE,
    NORM,
    OUTDATED_NAME,
    PASSPORT,
    RELAY_NO_SOURCE,
    RELAY_TITLE,
    SENSITIVE_EVENT,
    SOURCE_PLATFORM,
    SOURCE_SELFMEDIA,
    SOURCE_UNOFFICIAL,
    TITLE_SPAN,
)
from bot.precheck.lists import DATA_DIR
from bot.precheck.personal import luhn, valid_old_resident_id, valid_resident_id
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

SALE = "特价299元/晚，欢迎预订。"


def test_strict_ad_terms_only_in_posts_that_sell() -> None:
    """The strict list's own header: flag when the post is promotional (issue 15)."""
    found = run(f"本酒店是全区最佳的度假选择，{SALE}")
    assert [(f.kind, f.text) for f in found] == [(AD_ABSOLUTE, "最佳")]
    for news in ("区人民医院是渝东南地区规模最大的综合性医院之一。",
                 "我区在全市首家启用不动产登记新系统，网上可办率实现100%。",
                 "下一步将最大程度释放消费潜力，奏响发展最强音。"):
        assert AD_ABSOLUTE not in kinds(news), news


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
    assert [f.text for f in run(f"采用最先进工艺。{SALE}")] == ["最先进工艺"]


def test_a_stated_quantity_is_not_a_claim() -> None:
    sale = "以旧换新：购买一级能效家电可享受最高20%的补贴，商家另有满减优惠，欢迎下单。"
    assert AD_ABSOLUTE not in kinds(sale)


def test_a_post_sells_when_its_cues_add_up() -> None:
    """A price and a deal, two deals, or a deal and two goods; never one word alone."""
    for news in ("政府购买服务，最新进展如下。", "吸引了众多市民选购，现场最热闹。",
                 "补贴标准为105元/亩，全省最高。", "报名时间：10月20日，报名人数创历史最高。"):
        assert AD_ABSOLUTE not in kinds(news), news
    for sale in ("暖锅双人套餐8.8折优惠，全城最正宗的首选。",
                 "脆红李限时抢购，全国包邮，最好的礼物。"):
        assert AD_ABSOLUTE in kinds(sale), sale


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
    [line] = run("正文。来源：黔江区政府", repost_url="https://www.toutiao.com/a1")
    assert (line.kind, line.start, line.rule) == (SOURCE_PLATFORM, SOURCE_SPAN, "R-REV-4")
    assert run("正文。来源：黔江区政府", repost_url="https://www.qianjiang.gov.cn/a") == []


def test_a_repost_names_its_source_in_the_text() -> None:
    """rule R-RLY-2: 注明出处 — a repost whose text names no source is shown."""
    [line] = run("正文", repost_url="https://www.qianjiang.gov.cn/a")
    assert (line.kind, line.start, line.rule) == (RELAY_NO_SOURCE, SOURCE_SPAN, "R-RLY-2")
    assert run("正文", repost_url=None) == []
    for cue in ("来源：黔江区政府网", "转自黔江发布", "（摘自《重庆日报》）"):
        assert run(f"正文。{cue}", repost_url="https://www.qianjiang.gov.cn/a") == []


def test_a_relay_keeps_the_tasks_title() -> None:
    """rule R-RLY-2: 不得篡改标题 — punctuation and spaces aside, the title is the task's."""
    source = "来源：黔江区政府网"
    kept = precheck(source, lexicon_for(default_lists()), title="关于 做好冬季防火工作的通知！",
                    is_allowed_source=lambda u: True, relay_title="关于做好冬季防火工作的通知")
    assert kept.findings == ()
    changed = precheck(source, lexicon_for(default_lists()), title="冬季防火，这些事要做好",
                       is_allowed_source=lambda u: True, relay_title="关于做好冬季防火工作的通知")
    [f] = changed.findings
    assert (f.kind, f.rule, f.suggestion) == (RELAY_TITLE, "R-RLY-2", "关于做好冬季防火工作的通知")
    assert changed.body_span(f) == (TITLE_SPAN, TITLE_SPAN)


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
    assert kinds(f"本店超值，{SALE}", ad=("超值",)) == [AD_ABSOLUTE]


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


# --- issue 15: the misses ---

def test_id_numbers_with_separators_and_the_old_15_digit_form() -> None:
    """rule R-REV-8"""
    for written in ("500114 19900307 1238", "500114-1990-0307-1238", "500114 1990 0307 1238"):
        [found] = run(f"当事人身份证号码：{written}，已依法处理。")
        assert (found.kind, found.severity, found.text) == (ID_NUMBER, ERROR, written)
    assert valid_old_resident_id("500114660315123", TODAY)
    assert not valid_old_resident_id("500114661315123", TODAY)  # month 13
    assert kinds("老人自述身份证号是500114660315123。") == [ID_NUMBER]
    assert kinds("工商注册号500114000012345。") == []  # not a date: not an ID
    assert kinds("电话023 7922 2222 转 8001") == []


@pytest.mark.parametrize("text", [
    "投诉人李某13912345678反映噪音扰民。",
    "如有疑问可咨询王老师13912345678。",
    "咨询电话：王老师 13912345678",
    "联系人：张老师，联系电话：13912345678。",
    "张建国，身份证号码见附件，家住城南，联系电话13912345678。",
])
def test_a_mobile_after_a_person_is_personal(text: str) -> None:
    assert MOBILE in kinds(text), text


@pytest.mark.parametrize("text", [
    "服务热线：13912345678", "举报电话13912345678", "值班电话 13912345678",
    "报名咨询电话：13912345678。", "联系电话：13912345678（区文旅委办公室）",
])
def test_an_institution_line_is_public(text: str) -> None:
    assert MOBILE not in kinds(text), text


def test_home_addresses_but_not_office_addresses() -> None:
    assert kinds("其家住城南街道金岸小区5幢1单元301号。") == [ADDRESS]
    assert kinds("申请人住址：城西街道新华路88号附5号2-3，因残致贫。") == [ADDRESS]
    assert kinds("张某住在3栋2单元502室。") == [ADDRESS]
    assert kinds("区民政局工作人员走访了金岸小区5幢1单元301号的独居老人。") == [ADDRESS]
    assert kinds("请寄送至黔江区城西大道行政中心3号楼408室（区城市管理局）。") == []
    assert kinds("办公地点：区政务服务中心2号楼301室。") == []
    assert kinds("小区共有3栋住宅楼，2个单元已完工。") == []
    assert kinds("老人记不清家庭住址。") == []


@pytest.mark.parametrize(("text", "found"), [
    ("城东小学四年级（2）班学生李小明捡到钱包。", ["四年级（2）班"]),
    ("年仅10岁的李小明在原地等候失主。", ["10岁"]),
    ("患儿张小宇（男，7岁）确诊白血病。", ["7岁"]),
    ("张小宇，7岁，城南街道人。", ["7岁"]),
    ("一名8岁的男孩落水。", ["8岁"]),
    ("小学招收年满6周岁的适龄儿童。", []),
    ("重点做好6月龄至5岁儿童的接种。", []),
    ("新建3岁以下婴幼儿托育园3所。", []),
    ("王某（45岁）为货车司机。", []),
    ("五年级3班获评优秀班集体。", []),  # a class, but no pupil named
])
def test_minors_ages_and_classes(text: str, found: list[str]) -> None:
    assert [f.text for f in run(text) if f.kind == MINOR] == found


@pytest.mark.parametrize("name", ["县工商局", "区安监局", "区食药监局", "区卫计局", "区卫生计生委",
                                  "市环保局", "区国土局", "县地税局", "区扶贫办", "区消防大队",
                                  "区农委", "区质监局", "县旅游局"])
def test_local_and_abbreviated_old_names(name: str) -> None:
    [found] = run(f"会上，{name}负责同志作了发言。")
    assert found.kind == OUTDATED_NAME and found.text in name and found.suggestion


@pytest.mark.parametrize("text", [
    "区文化和旅游发展委员会发布线路。", "县文化和旅游局开展检查。", "区消防救援大队开展演练。",
    "原县工商局的职能已划入市场监管局。", "2017年，区安监局开展了专项整治。",
    "区市场监督管理局、区应急管理局联合检查。",
])
def test_current_and_historical_names_are_fine(text: str) -> None:
    assert OUTDATED_NAME not in kinds(text), text


def test_present_tense_in_the_clause_beats_an_old_year() -> None:
    text = "2017年，原区食药监局牵头建立了联席会议制度，目前该制度由区质监局负责落实。"
    assert [f.text for f in run(text) if f.kind == OUTDATED_NAME] == ["质监局"]


@pytest.mark.parametrize("titles", [
    "国家主席、中共中央总书记、中央军委主席",
    "国家主席、中央军委主席、中共中央总书记",
    "中华人民共和国主席、中共中央总书记",
    "中央军委主席、国家主席",
    "中央军委主席、总书记",
    "中华人民共和国中央军事委员会主席、中共中央总书记、中华人民共和国主席",
])
def test_leader_titles_out_of_order(titles: str) -> None:
    assert kinds(f"会议学习了{titles}习近平的重要讲话。") == [LEADER_ORDER]


@pytest.mark.parametrize("titles", [
    "中共中央总书记、国家主席、中央军委主席", "总书记、国家主席", "国家主席、中央军委主席",
    "中共中央总书记，国家主席，中央军委主席", "中华人民共和国主席",
])
def test_leader_titles_in_order(titles: str) -> None:
    assert kinds(f"会议学习了{titles}习近平的重要讲话。") == []


# --- issue 15: context, not words ---

@pytest.mark.parametrize("text", [
    "全区未发生因地质灾害造成的人员伤亡。", "事故无人员伤亡。", "考试期间未发生一起安全事故。",
    "要严防重大安全事故发生。", "坚决防止群体性食物中毒事件发生。",
    "做好山洪、泥石流等灾害防范工作。",
    "开展防溺水安全教育。", "讲解家庭火灾逃生知识。", "演练模拟发生地震，部分房屋坍塌。",
    "加强日常监测和舆情研判。", "区民族宗教事务委员会开展宣传月活动。", "全区婴儿死亡率下降。",
    "对涉及本地的群体性事件、宗教事件等敏感信息，严禁未经审核发布。",
    "如发生火灾，应立即拨打119。", "冬季是一氧化碳中毒高发期。",
])
def test_no_event_where_none_is_reported(text: str) -> None:
    assert SENSITIVE_EVENT not in kinds(text), text


@pytest.mark.parametrize(("text", "words"), [
    ("某小区居民楼发生火灾，造成1人受伤。", ["火灾"]),
    ("货车侧翻，造成3人死亡、5人受伤，无人员失踪。", ["人死亡"]),
    ("部分村民在镇政府门口聚集维权。", ["聚集维权"]),
])
def test_events_that_are_reported(text: str, words: list[str]) -> None:
    assert [f.text for f in run(text) if f.kind == SENSITIVE_EVENT] == words


@pytest.mark.parametrize("text", [
    "信息发布中使用地图，要采用自然资源主管部门最新发布的标准地图。",
    "政府网站和政务新媒体使用地图时，应采用标准地图或依法取得审图号的地图。",
    "定期自查整改问题地图、商业广告等信息内容。", "（六）地图使用情况；",
    "关于规范使用地图的提示。", "重塑产业版图。", "附：办事流程示意图。", "绘就乡村振兴路线图。",
])
def test_a_norm_about_maps_is_not_a_map(text: str) -> None:
    assert MAP_NO_APPROVAL not in kinds(text), text


def test_maps_that_are_shown() -> None:
    assert kinds("附：项目区位示意图。") == [MAP_NO_APPROVAL]
    assert kinds("游客可扫码下载高清地图。") == [MAP_NO_APPROVAL]
    assert kinds("图为中国版图。") == [MAP_NO_APPROVAL]


def test_norms_apply_where_they_were_written_for() -> None:
    """老板 is about officials, 亲自 about a leader's activity, 文书验证 about Taiwan."""
    assert kinds("面馆老板张师傅每天凌晨四点起床熬汤。") == []
    assert kinds("区属国企渝东南建设集团老板刘某介绍了进展。") == [NORM]
    assert kinds("区委书记王强亲自出席会议并讲话。") == [NORM]
    assert kinds("主要负责人要亲自过问、亲自部署。") == []
    assert kinds("两地法院加强司法协助。") == []
    assert kinds("区台办为台胞提供文书验证便利。") == [NORM]
    assert kinds("中澳两国签署合作协议。") == []


# --- R-CNT-1 (regulations 001 Art.30, 003 Art.10) ---

@pytest.mark.parametrize(("text", "found", "severity"), [
    ("转发本文到朋友圈集赞满38个可领取礼品。", "集赞", ERROR),
    ("开展转发抽奖活动，每周抽取10名粉丝。", "转发抽奖", ERROR),
    ("请将关注截图发至班主任。", "关注截图", ERROR),
    ("拟购买粉丝5万人。", "购买粉丝", ERROR),
    ("公众号现面向社会招租头条广告位。", "广告位", WARN),
    ("关注“黔江发布”公众号后方可参与投票。", "关注“黔江发布”公众号后方可", ERROR),
])
def test_content_rules(text: str, found: str, severity: str) -> None:
    [finding] = run(text)
    assert (finding.kind, finding.text, finding.severity, finding.rule) == \
        (CONTENT_RULE, found, severity, "R-CNT-1")


@pytest.mark.parametrize("text", [
    "严禁政务新媒体购买“粉丝”等数据造假行为。", "不得强制要求群众关注、点赞和转发信息。",
    "警方提醒：警惕集赞送礼品骗局。", "在首页投放公益广告，不收取广告位费用。",
    "消费帮扶专区开设广告位，展示脱贫地区农产品。",
])
def test_content_rules_not_in_rules_or_exemptions(text: str) -> None:
    assert CONTENT_RULE not in kinds(text), text


# --- sources named without a link (R-REV-4) ---

@pytest.mark.parametrize(("text", "marker"), [
    ("本文部分内容来源：抖音用户“黔江小V”。", "抖音"),
    ("本文转自微信公众号“黔江吃喝玩乐”，作者：小黔。", "公众号"),
    ("（图片来源：网络）", "网络"),
])
def test_self_media_source_named_without_a_link(text: str, marker: str) -> None:
    [finding] = run(text)
    assert (finding.kind, finding.text) == (SOURCE_SELFMEDIA, marker)
    assert finding.needs_chief


@pytest.mark.parametrize("text", [
    "来源：人民日报微信公众号", "转自“重庆发布”微博", "来源：黔江区交通局微信公众号",
    "有网友在抖音发布视频称", "不得使用来源不明的地图",
])
def test_official_or_no_source_line(text: str) -> None:
    assert SOURCE_SELFMEDIA not in kinds(text), text


# --- what the review flow reads ---

def test_major_findings_need_the_chief() -> None:
    """The seeds routing reads Report.needs_chief / Finding.needs_chief (R-REV-7, R-REV-4)."""
    check = lexicon_for(default_lists())
    event = precheck("某村发生山体塌方。", check, is_allowed_source=POLICY.is_allowed_source)
    link = precheck("详见 https://shop.example.com/a", check,
                    is_allowed_source=POLICY.is_allowed_source)
    plain = precheck("身份证号500114199003071238", check,
                     is_allowed_source=POLICY.is_allowed_source)
    assert event.needs_chief and link.needs_chief and not plain.needs_chief


def test_title_and_body_spans() -> None:
    title, body = "国家卫计委来我区调研", "调研组听取了区卫计局工作汇报。"
    report = precheck(body, lexicon_for(default_lists()), title=title,
                      is_allowed_source=POLICY.is_allowed_source)
    spans = {f.text: report.body_span(f) for f in report.findings}
    assert spans["国家卫计委"] == (TITLE_SPAN, TITLE_SPAN)
    start, end = spans["卫计局"]
    assert body[start:end] == "卫计局"


def test_the_title_is_a_sentence_of_its_own() -> None:
    """A duty in the body's first sentence does not reach back into the title."""
    report = precheck("要严防此类事故发生。", lexicon_for(default_lists()),
                      title="某村发生山体塌方", is_allowed_source=POLICY.is_allowed_source)
    assert [f.text for f in report.findings] == ["塌方"]
