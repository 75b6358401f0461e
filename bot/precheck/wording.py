"""Word-list detectors over one automaton scan: advertising-law absolute terms, 规范表述,
outdated institution names, leader-title order, maps without 审图号, local sensitive events.

A hit inside an allowed phrase (放行词) is never reported; ad terms also skip their exempt
phrases (国家级非遗, 第一书记, 最多跑一次 …). Each detector reads the word in its context
(bot/precheck/context.py): ad terms only in posts that sell, events only where reported,
maps only where shown, norms only where they apply.
"""

from __future__ import annotations

import re

from bot.precheck.context import (
    before_in_clause,
    clause_text,
    normative,
    not_an_event,
    sentence,
    sentence_text,
)
from bot.precheck.findings import (
    AD_ABSOLUTE,
    ERROR,
    LEADER_ORDER,
    MAP_NO_APPROVAL,
    NORM,
    OUTDATED_NAME,
    SENSITIVE_EVENT,
    WARN,
    Finding,
    normalize_text,
)
from bot.precheck.lexicon import (
    AD_CONTEXT,
    AD_EXEMPT,
    AD_STRICT,
    ALLOW,
    MAP,
    PROMO,
    PROMO_GOODS,
    RENAME,
    SENSITIVE,
    Hit,
    Scan,
    outermost,
)
from bot.precheck.lexicon import NORM as NORM_TAG
from bot.precheck.lists import CROSS_STRAIT, LEADER_REPORT, OFFICIALS, Norm, Rename

WORDING_RULE = "R-REV-6"  # checklist items 3 (political wording), 4 (规范表述), 11 (ads)
MAP_RULE = "R-REV-9"
SENSITIVE_RULE = "R-REV-7"
PROMO_MIN_SCORE = 4  # promo_cues.txt: a deal weighs 2, goods 1, a price 2
PRICE_WEIGHT = 2
# a price marks a post that sells something: 298元/晚, 99元起, ¥120, 仅售68元, 8.8折
_PRICE = re.compile(r"\d+(?:\.\d+)?\s*元\s*(?:/|每|起)|[¥￥]\s*\d|(?:仅售|售价|低至|只需)\s*\d"
                    r"|\d(?:\.\d)?\s*折")
_PRICE_MARK = re.compile(r"[元¥折]|仅售|售价|低至|只需")
# 最高20%的补贴, 最多3间: a stated quantity, not a claim about the product
_QUANTITY = re.compile(r"[可达为约仅]?\d")
_OPEN_QUOTES = "“\"「『‘'"
_CLOSE_QUOTES = "”\"」』’'"
_YEAR = re.compile(r"((?:19|20)\d{2})年")
_PRESENT = re.compile(r"目前|现在|当前|如今|现由|至今|仍")
# "原…" within the clause, or "前…" that is not part of 目前/此前/之前/当前/以前/提前
_FORMER = re.compile(r"(?:原[^，。；、,;\s]{0,3}|(?<![目此之当以提日年])前)$")
# leader titles before a name go 总书记、国家主席、军委主席 (any two or all three, in any of
# their common forms); rank 0 the party, 1 the state, 2 the military commission
_TITLE = (r"(?:中国共产党中央委员会总书记|中共中央总书记|党中央总书记|总书记"
          r"|中华人民共和国中央军事委员会主席|中共中央军事委员会主席|中共中央军委主席"
          r"|中央军事委员会主席|中央军委主席|军委主席|中华人民共和国主席|国家主席)")
_SEP = r"[、，, ]?"
_TITLE_RUN = re.compile(rf"({_TITLE}){_SEP}({_TITLE})(?:{_SEP}({_TITLE}))?(?=[\u4e00-\u9fff])")
_MAP_APPROVAL = re.compile(
    r"GS\s*[京沪津渝]?\s*\(\s*\d{4}\s*\)\s*\d+\s*号"
    r"|[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]S\s*\(\s*\d{4}\s*\)\s*\d+\s*号"
    r"|标准地图服务")


def _hits(scan: Scan, *tags: str) -> list[Hit]:
    return [h for tag in tags for h in scan.get(tag, ())]


def _kept(scan: Scan, tag: str, *exempt_tags: str) -> list[Hit]:
    """The outermost hits of a list that are not inside an allowed or exempt phrase."""
    exempt = _hits(scan, ALLOW, *exempt_tags)
    return [h for h in outermost(_hits(scan, tag)) if not h.inside(exempt)]


def is_promotional(text: str, scan: Scan) -> bool:
    """Does the post sell something? Its cues add up (promo_cues.txt): a price and a deal,
    two deals, a deal and two goods. One word alone is not a sale (政府购买服务)."""
    deals = {h.word for h in scan.get(PROMO, ())}
    goods = {h.word for h in scan.get(PROMO_GOODS, ())}
    score = 2 * len(deals) + len(goods)
    if score >= PROMO_MIN_SCORE or score + PRICE_WEIGHT < PROMO_MIN_SCORE:
        return score >= PROMO_MIN_SCORE
    return any(_PRICE.search(text, max(0, m.start() - 12), m.end() + 8)
               for m in _PRICE_MARK.finditer(text))


def detect_ads(text: str, scan: Scan) -> list[Finding]:
    """广告法 第九条(三), in posts that sell something only (the strict list's own header):
    government news says 规模最大, 全省首家, 实现100% as plain facts."""
    if not is_promotional(text, scan):
        return []
    strict = _kept(scan, AD_STRICT, AD_EXEMPT)
    hits = strict + [h for h in _kept(scan, AD_CONTEXT, AD_EXEMPT) if not h.inside(strict)]
    return [Finding(h.start, h.end, AD_ABSOLUTE, WARN, h.word, "", WORDING_RULE)
            for h in sorted(hits, key=lambda h: h.start)
            if not _QUANTITY.match(text, h.end) or h.word.endswith("%")]


def _quoted(text: str, hit: Hit) -> bool:
    before = text[hit.start - 1:hit.start] if hit.start else ""
    return bool(before) and before in _OPEN_QUOTES and text[hit.end:hit.end + 1] in _CLOSE_QUOTES


# 亲自 is struck from a leader's activity: a leader's title before it in the sentence …
_LEADER = re.compile(r"书记|[省市县区镇乡]长|主任|局长|部长|主席|总理|领导|负责同志|负责人")
# … unless it is a duty (主要负责人要亲自过问、亲自部署)
_DUTY = re.compile(r"要|应当?|须|必须|务必|需要?|带头|坚持")
# 老板 is not said of officials or the heads of state-owned firms
_OFFICIAL = re.compile(r"干部|领导|书记|[省市县区镇乡]长|局长|处长|科长|厅长|部长|主任|"
                       r"国企|国有企业|机关|公务员|党员|上级")
_CROSS_STRAIT = re.compile(r"台湾|台胞|台商|台办|两岸|香港|澳门|港澳")


def _applies(text: str, hit: Hit, norm: Norm) -> bool:
    """Is the norm's scope (xinhua_norms.tsv, column 5) met where the word stands?"""
    if norm.scope == LEADER_REPORT:
        before = text[sentence(text, hit.start, hit.end)[0]:hit.start]
        leader = _LEADER.search(before)
        return leader is not None and not _DUTY.search(before, leader.end())
    if norm.scope == OFFICIALS:
        return bool(_OFFICIAL.search(sentence_text(text, hit.start, hit.end)))
    if norm.scope == CROSS_STRAIT:
        return bool(_CROSS_STRAIT.search(text))
    return True


def detect_norms(text: str, scan: Scan) -> list[Finding]:
    """新华社 禁用词/慎用词: error or warn as the list says, where the norm applies;
    quote-level terms only unquoted."""
    found = []
    for hit in _kept(scan, NORM_TAG):
        norm = hit.data
        assert isinstance(norm, Norm)
        if norm.level == "quote" and _quoted(text, hit):
            continue
        if not _applies(text, hit, norm):
            continue
        severity = ERROR if norm.level == ERROR else WARN
        found.append(Finding(hit.start, hit.end, NORM, severity, hit.word, norm.suggestion,
                             WORDING_RULE))
    return found


def _historical(text: str, hit: Hit, rename: Rename) -> bool:
    """原国家卫计委, 前国家旅游局, or a sentence dated before the rename (unless the name's
    own clause says 目前/现在: "2017年，原…建立了制度，目前由区质监局负责")."""
    if _FORMER.search(text[max(0, hit.start - 4):hit.start]):
        return True
    if _PRESENT.search(before_in_clause(text, hit.start, hit.end)):
        return False
    years = [int(y) for y in _YEAR.findall(sentence_text(text, hit.start, hit.end))]
    return any(y < rename.year for y in years)


def detect_outdated_names(text: str, scan: Scan) -> list[Finding]:
    """Institution names retired by the 2018/2023 reforms, in present-tense use."""
    found = []
    for hit in _kept(scan, RENAME):
        rename = hit.data
        assert isinstance(rename, Rename)
        if rename.old.endswith("部") and text[hit.end:hit.end + 1] == "门":
            continue  # 环保部门, 农业部门: "departments", not the ministry
        if not _historical(text, hit, rename):
            found.append(Finding(hit.start, hit.end, OUTDATED_NAME, WARN, hit.word,
                                 rename.new, WORDING_RULE))
    return found


def _title_rank(title: str) -> int:
    return 0 if title.endswith("总书记") else 2 if "军" in title else 1


def detect_leader_order(text: str) -> list[Finding]:
    """Titles before one name go 总书记、国家主席、军委主席: any two or three out of order."""
    found = []
    for m in _TITLE_RUN.finditer(text):
        ranks = [_title_rank(t) for t in m.groups() if t]
        if len(set(ranks)) == len(ranks) and ranks != sorted(ranks):
            found.append(Finding(m.start(), m.end(), LEADER_ORDER, WARN, m.group(), "",
                                 WORDING_RULE))
    return found


def states_map_approval(text: str) -> bool:
    """R-REV-9: the text names an approval number (审图号) or the standard map service."""
    return bool(_MAP_APPROVAL.search(normalize_text(text)))


# 地图使用情况, 地图管理, 地图审核: talk about maps, not a map
_MAP_TOPIC = re.compile(r"使用|管理|审核|送审|审查|编制|监管|市场|工作|条例|规定|内容表示")
# 问题地图 (a category of bad content), 标准地图 (the remedy), 规范使用地图 (a norm)
_MAP_KIND = re.compile(r"(?:问题|标准|规范|规范使用|正确使用)$")
# words that are maps only with a qualifier: 区位示意图 (流程示意图 is not);
# 中国版图 (产业版图 is not)
_MAP_QUALIFIED = {
    "示意图": re.compile(r"(?:位置|区位|交通|地理|线路|路线|区域|范围|地块|规划|导览)$"),
    "版图": re.compile(r"(?:中国|国家|祖国|全国)$"),
}
# 使用地图，要采用标准地图或依法取得审图号的地图: a norm about maps
_MAP_NORM = re.compile(r"(?:应当?|要|须|必须|需|务必)(?:采用|使用|选用|送审|报审|标注|注明|取得)")
# 制定时间表、路线图, 绘就发展路线图: a plan, not a map
_METAPHOR = re.compile(r"时间表|任务书|施工图|制定|明确|绘就|描绘|细化|形成|出台")


def _shows_a_map(text: str, hit: Hit) -> bool:
    if _MAP_TOPIC.match(text, hit.end) or _MAP_KIND.search(text, max(0, hit.start - 4),
                                                            hit.start):
        return False
    qualifier = _MAP_QUALIFIED.get(hit.word)
    if qualifier and not qualifier.search(text, max(0, hit.start - 4), hit.start):
        return False
    if hit.word == "路线图" and _METAPHOR.search(clause_text(text, hit.start, hit.end)):
        return False
    left, right = sentence(text, hit.start, hit.end)
    return not (_MAP_NORM.search(text, left, right) or normative(text, hit.start, hit.end))


def detect_maps(text: str, scan: Scan) -> list[Finding]:
    """R-REV-9: the draft shows or offers a map but carries no 审图号 (GS(2024)0650号) or
    标准地图服务 source. A norm about maps (使用地图，要采用标准地图) is not a map."""
    hits = [h for h in _kept(scan, MAP) if _shows_a_map(text, h)]
    if not hits or _MAP_APPROVAL.search(text):
        return []
    first = min(hits, key=lambda h: h.start)
    return [Finding(first.start, first.end, MAP_NO_APPROVAL, WARN, first.word, "", MAP_RULE)]


def detect_sensitive(text: str, scan: Scan) -> list[Finding]:
    """R-REV-7: the first report of each local sensitive-event word, for the chief. Not a
    negation (无人员伤亡), a prevention duty (严防…发生), a drill, a rule or a listed
    category."""
    first: dict[str, Hit] = {}
    for hit in sorted(_kept(scan, SENSITIVE), key=lambda h: h.start):
        if hit.word not in first and not not_an_event(text, hit.start, hit.end):
            first[hit.word] = hit
    return [Finding(h.start, h.end, SENSITIVE_EVENT, WARN, h.word, "", SENSITIVE_RULE)
            for h in first.values()]
