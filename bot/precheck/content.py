"""Content rules (rule R-CNT-1, regulations 001 Art.30 and 003 Art.10): no bought followers or
faked figures, no forced following, liking or sharing (集赞, 转发抽奖, 关注截图 …), no
commercial activity on the account. The phrases are data (content_rules.tsv); a phrase does
not count inside a rule or a report about one (严禁购买粉丝, 警惕集赞骗局), and a commercial
phrase not next to its exemptions (公益广告, 消费帮扶)."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.precheck.context import category, sentence
from bot.precheck.findings import CONTENT_RULE, Finding
from bot.precheck.lexicon import ALLOW, CONTENT, CONTENT_EXEMPT, Hit, Scan, disjoint, within
from bot.precheck.lists import ContentRule

RULE = "R-CNT-1"
COMMERCIAL = "commercial"
# the sentence forbids, fights, warns about or corrects the practice rather than doing it
_AGAINST = re.compile(r"严禁|不得|禁止|杜绝|不准|不许|反对|抵制|整治|打击|查处|治理|警惕|谨防|"
                      r"防范|曝光|切勿|请勿|不要|整改|自查|清理|是否")


def _counts(text: str, hit: Hit, exempt: list[Hit]) -> bool:
    left, right = sentence(text, hit.start, hit.end)
    if _AGAINST.search(text, left, right) or category(text, hit.start, hit.end):
        return False
    rule = hit.data
    assert isinstance(rule, ContentRule)
    return rule.category != COMMERCIAL or not within(exempt, left, right)


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _pattern_hits(text: str, rules: tuple[ContentRule, ...]) -> list[Hit]:
    return [Hit(m.start(), m.end(), m.group(), rule)
            for rule in rules if rule.pattern
            for m in _compiled(rule.pattern).finditer(text)]


def detect_content_rules(text: str, scan: Scan,
                         rules: tuple[ContentRule, ...] = ()) -> list[Finding]:
    """The first use of each phrase that shows a prohibited practice (overlaps merged);
    `rules` brings the regular-expression rules, which the automaton cannot hold."""
    allowed = scan.get(ALLOW, [])
    exempt = scan.get(CONTENT_EXEMPT, [])
    found: list[Finding] = []
    for hit in disjoint(scan.get(CONTENT, []) + _pattern_hits(text, rules)):
        if hit.inside(allowed) or any(f.text == hit.word for f in found) \
                or not _counts(text, hit, exempt):
            continue
        rule = hit.data
        assert isinstance(rule, ContentRule)
        found.append(Finding(hit.start, hit.end, CONTENT_RULE, rule.level, hit.word,
                             rule.category, RULE))
    return found
