"""Where a word stands: its clause and sentence, and the cues around it that change what it
means (a negation, a prevention duty, a norm, a hypothetical). Pure functions over the
normalized text (NFKC: full-width ，；：（） arrive as ASCII, so every pattern takes both);
each looks at most REACH characters either side, so a check stays constant-time however
long the draft is.
"""

from __future__ import annotations

import re

REACH = 160
# Text pasted from PDF or Word breaks lines inside sentences ("防范账号被盗用或被\n恶意攻击等
# 安全事故发生", "使用地图时\n\n，应采用…"), so a line break ends a sentence only before a
# heading or a list item (第三条, （一）, 1., 一、). A draft's title ends at its line break
# (engine.precheck marks it).
_NUMERAL = "一二三四五六七八九十"
_NEW_ITEM = (rf"\n\s*(?=第[{_NUMERAL}百]+[章节条]|[（(][{_NUMERAL}\d]+[）)]|\d+[.、．]"
             rf"|[{_NUMERAL}]+、)")
_SENTENCE_END = re.compile(rf"[。！？；!?;]|{_NEW_ITEM}")
_CLAUSE_END = re.compile(rf"[。！？；!?;，,：:]|{_NEW_ITEM}")


def _bounds(pattern: re.Pattern[str], text: str, start: int, end: int) -> tuple[int, int]:
    lo = max(0, start - REACH)
    left = lo
    for m in pattern.finditer(text, lo, start):
        left = m.end()
    hi = min(len(text), end + REACH)
    right = pattern.search(text, end, hi)
    return left, right.start() if right else hi


def sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around text[start:end] (up to REACH characters each side)."""
    return _bounds(_SENTENCE_END, text, start, end)


def clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around text[start:end]: the sentence cut at commas and colons too."""
    return _bounds(_CLAUSE_END, text, start, end)


def sentence_text(text: str, start: int, end: int) -> str:
    left, right = sentence(text, start, end)
    return text[left:right]


def clause_text(text: str, start: int, end: int) -> str:
    left, right = clause(text, start, end)
    return text[left:right]


def before_in_clause(text: str, start: int, end: int) -> str:
    """The clause's text up to the word."""
    return text[clause(text, start, end)[0]:start]


def after_in_clause(text: str, start: int, end: int) -> str:
    return text[end:clause(text, start, end)[1]]


# 无人员伤亡, 未造成…伤亡, 没有发生…事故: a negation shortly before the word in its clause
# (not 无辜/无法/未来/未成年/未经, which negate nothing about the event)
_NEGATION = re.compile(
    r"(?:没有|不存在|未(?!来|成年|经)|无(?!辜|法|论|数|关|人机)|零)[^,，。;；]{0,14}$")
# duties and measures against an event, not an event: 严防…发生, …防控, 隐患排查, 逃生知识,
# …高发期 (a seasonal risk)
_PREVENTION = re.compile(
    r"防范|严防|预防|防止|防控|防治|杜绝|避免|遏制|排查|隐患|预警|警示|教训|高发|易发|多发|"
    r"宣传|教育|知识|培训|应急预案|风险|整治|打击|治理|专项|检查")
# a rule or a category, not a report: 严禁未经审核发布, 须报主要负责人审定, 是否涉及
_NORMATIVE = re.compile(r"严禁|不得|禁止|不准|不许|须报|审定|审核|是否|如需|应当|必须")
# a hypothetical or a drill: 如发生, 一旦, 遇有, 演练模拟发生5.5级地震，部分房屋坍塌
_HYPOTHETICAL = re.compile(r"如果|假如|一旦|万一|如遇|遇有|如发生|若发生|如有|演练|演习|模拟")
# X、Y、Z等敏感信息 / 等灾害 / 等信息内容: the word names a category in a list
_CATEGORY = re.compile(
    r"^[^,，。;；]{0,12}?等(?:敏感|突发|事件|信息|灾害|事故|情形|情况|问题|内容|经营)")


def negated(text: str, start: int, end: int) -> bool:
    return bool(_NEGATION.search(before_in_clause(text, start, end)))


def preventive(text: str, start: int, end: int) -> bool:
    """A prevention duty, a drill, or a lesson in the word's clause; 防溺水 directly."""
    return text[start - 1:start] == "防" or bool(_PREVENTION.search(clause_text(text, start, end)))


def normative(text: str, start: int, end: int) -> bool:
    """A norm, an approval rule, a checklist question or a hypothetical in the sentence."""
    whole = sentence_text(text, start, end)
    return bool(_NORMATIVE.search(whole) or _HYPOTHETICAL.search(whole))


def category(text: str, start: int, end: int) -> bool:
    """The word is one item of a listed category (…群体性事件、宗教事件等敏感信息)."""
    return bool(_CATEGORY.search(after_in_clause(text, start, end)))


def not_an_event(text: str, start: int, end: int) -> bool:
    """The event word is negated, prevented, ruled on or listed rather than reported."""
    return (negated(text, start, end) or preventive(text, start, end)
            or normative(text, start, end) or category(text, start, end))
