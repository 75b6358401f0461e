"""Personal data in a draft (rule R-REV-8): ID numbers (18 digits, with or without separators,
and the old 15-digit ones), mobiles, bank cards, passports, home addresses and minors.

Masked numbers (500101********1234, 138****5678) never match: the patterns need every digit.
"""

from __future__ import annotations

import re
from datetime import date

from bot.precheck.context import clause, sentence
from bot.precheck.findings import (
    ADDRESS,
    BANK_CARD,
    ERROR,
    ID_NUMBER,
    MINOR,
    MOBILE,
    PASSPORT,
    WARN,
    Finding,
)
from bot.precheck.lists import WordLists

RULE = "R-REV-8"
# GB 11643-1999 check digit: weights of the 17 digits, and the check characters by sum mod 11
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# GB/T 2260 province codes: the first two digits of a resident ID (83: Taiwan residents' permits)
_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                        44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83})
# Numbers are looked for only inside runs of digits (with spaces or hyphens) long enough to
# hold one: one cheap scan instead of four regexes tried at every character.
_DIGIT_RUN = re.compile(r"\d[\d -]{9,}[\dXx]?")
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
# 18 digits, written solid or in groups (500114 19900307 1238, 500114-1990-0307-1238); the
# lookbehind sits after the first digit so that the regex engine can skip to digits quickly
_ID = re.compile(rf"\d(?<![0-9A-Za-z]\d)(?:[ -]?\d){{16}}[ -]?[\dXx]{_NOT_ALNUM_AFTER}")
# the first-generation ID (until 2013): region, YYMMDD born in the 1900s, sequence; no check digit
_ID15 = re.compile(rf"\d(?<![0-9A-Za-z]\d)\d{{5}}[ -]?\d{{6}}[ -]?\d{{3}}{_NOT_ALNUM_AFTER}")
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_CARD = re.compile(r"6(?<![\dA-Za-z]6)2\d{2}(?:[ -]?\d){12,15}(?![\dA-Za-z])")
_PASSPORT = re.compile(
    r"(?:护照|通行证|旅行证|台胞证)[^\n\d]{0,8}?([A-Z]{1,2}\d{7,8})(?![\dA-Za-z])")
# An office's own line, meant to be public, is labelled as such right before the number
# (shared/precheck/public_hotlines_allowlist.txt header: 咨询电话/举报电话/服务热线/办公电话 …).
# "投诉人李某139…" or "咨询王老师139…" is a person's mobile: the label must end at the number.
_PUBLIC_LABEL = re.compile(
    r"(?:热线(?:电话)?|专线|(?:咨询|举报|投诉|服务|办公|值班|客服|监督|报名|联系|预约|预订|报警|求助)"
    r"电话)[：: 为是]{0,3}$")
_LABEL_WINDOW = 12
# 联系电话 in a sentence about a person (联系人：张老师，联系电话：139…; 张三，身份证号…，家住…，
# 联系电话139…) is that person's number
_PERSON_RECORD = re.compile(r"联系人|老师|先生|女士|同志|师傅|经理|某|身份证|家住|住址|户籍")
# a home: building, unit and room (3栋2单元502室, 5幢1单元301号, 2单元502室, 3号楼408室)
_BUILDING = r"\d{1,3}\s*(?:栋|幢|号楼|座)"
_UNIT = r"\d{1,2}\s*单元"
_ROOM = r"\d{1,4}\s*(?:室|号|户)"
_HOME_MARK = re.compile(r"[栋幢座]|号楼|单元")
_HOME = re.compile(rf"{_BUILDING}\s*(?:{_UNIT}\s*)?{_ROOM}|{_BUILDING}\s*{_UNIT}|{_UNIT}\s*{_ROOM}")
# … or whatever follows 家住 / 住址： up to the end of the clause, when it has a number in it
_LIVES_MARK = re.compile("[住籍]")
_LIVES = re.compile(r"(?:家住|家庭住址|住址|现住|居住在|居住于|住在|户籍地址)[：:]?\s*")
_CLAUSE_TAIL = re.compile(r"[^，,。；;！？!?\n（(）)]{2,40}")
# an office's address is public: 行政中心3号楼408室, …408室（区城市管理局）, 办公地点：…
_OFFICE_BEFORE = re.compile(r"(?:行政中心|服务中心|办公楼|综合楼|大楼|大厦|机关|人民政府|"
                            r"街道办事处|医院|学校|[局委])\s*$")
_OFFICE_AFTER = re.compile(r"\s*[（(][^（）()]{1,12}(?:局|委|办|中心|政府|院|所)[）)]")
_OFFICE_LABEL = re.compile(r"办公地[点址]|地址[：:]|地点[：:]|寄送至|邮寄|窗口|会议室")
_MINOR_AGE = 18
# an age said of a person: 年仅10岁, （男，7岁）, 张小宇，7岁，, 8岁的男孩
_AGE = re.compile(r"(\d{1,2})\s*周?岁")
_AGE_MARK = re.compile("岁")
_AGE_CUE = re.compile(r"(?:年仅|今年|现年|年方|只有|才)\s*$")
_PARENS_OPEN = re.compile(r"[（(][^（）()]{0,8}$")
_PARENS_CLOSE = re.compile(r"[^（）()]{0,8}[）)]")
_AFTER_NAME = re.compile(r"[\u4e00-\u9fff][，,]\s*$")
_COMMA = re.compile(r"\s*[，,、。]")
_PERSON_NOUN = re.compile(r"\s*的(?:男孩|女孩|孩子|儿子|女儿|学生|少年|少女|男童|女童|幼童|患儿)")
# 3岁以下, 6至12岁, 年满16周岁: a threshold or a range, not a person
_AGE_RANGE_AFTER = re.compile(r"\s*(?:以下|以上|及以上|以内|至|到|-|~|—|－)")
_AGE_RANGE_BEFORE = re.compile(r"(?:满|不满|未满|超过|至|到|-|~|—)\s*$")
# a pupil's class: 四年级（2）班, 高二（3）班, 初一3班 — with a pupil in the sentence
_CLASS = re.compile(r"(?:[一二三四五六七八九]|[1-9])\s*年级\s*[（(]?\s*\d{1,2}\s*[）)]?\s*班"
                    r"|[初高][一二三]\s*[（(]?\s*\d{1,2}\s*[）)]?\s*班")
_CLASS_MARK = re.compile("班")
_PUPIL = re.compile(r"学生|同学|小朋友|孩子|儿子|女儿|男孩|女孩|某")


def valid_resident_id(number: str, today: date | None = None) -> bool:
    """GB 11643: known province prefix, a real birth date not in the future, check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if not _born(number[:2], number[6:10], number[10:12], number[12:14], today):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17].upper()


def valid_old_resident_id(number: str, today: date | None = None) -> bool:
    """The 15-digit ID (GB 11643-1989): province prefix and a real 19YY birth date."""
    return len(number) == 15 and number.isdigit() and \
        _born(number[:2], "19" + number[6:8], number[8:10], number[10:12], today)


def _born(province: str, year: str, month: str, day: str, today: date | None) -> bool:
    if int(province) not in _PROVINCES:
        return False
    try:
        born = date(int(year), int(month), int(day))
    except ValueError:
        return False
    return born.year >= 1900 and born <= (today or date.today())


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _digits(number: str) -> str:
    return re.sub(r"[^\dXx]", "", number)


def _is_public(text: str, start: int, number: str, lists: WordLists) -> bool:
    if number in lists.hotlines or any(re.match(p, number) for p in lists.hotline_patterns):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - _LABEL_WINDOW):start]
    label = _PUBLIC_LABEL.search(before)
    if not label:
        return False
    if label.group().startswith("联系"):
        left, right = sentence(text, start, start + len(number))
        return not _PERSON_RECORD.search(text, left, right)
    return True


def _overlaps(start: int, end: int, taken: list[Finding]) -> bool:
    return any(start < f.end and f.start < end for f in taken)


def _in_runs(pattern: re.Pattern[str], text: str,
             runs: list[tuple[int, int]]) -> list[re.Match[str]]:
    return [m for start, end in runs for m in pattern.finditer(text, start, end)]


def _near(marker: re.Pattern[str], text: str, before: int, after: int) -> list[tuple[int, int]]:
    """Windows around each marker (岁, 栋, 班 …), merged: where a slower pattern can match."""
    windows: list[tuple[int, int]] = []
    for m in marker.finditer(text):
        start, end = max(0, m.start() - before), min(len(text), m.end() + after)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _numbers(text: str, lists: WordLists, today: date | None) -> list[Finding]:
    # one character either side: a "+" of +86, and what the end-of-number checks look at
    runs = [(max(0, m.start() - 1), min(len(text), m.end() + 1))
            for m in _DIGIT_RUN.finditer(text)]
    found = [Finding(m.start(), m.end(), ID_NUMBER, ERROR, m.group(), "", RULE)
             for m in _in_runs(_ID, text, runs) if valid_resident_id(_digits(m.group()), today)]
    found += [Finding(m.start(), m.end(), ID_NUMBER, ERROR, m.group(), "", RULE)
              for m in _in_runs(_ID15, text, runs)
              if valid_old_resident_id(_digits(m.group()), today)
              and not _overlaps(m.start(), m.end(), found)]
    for m in _in_runs(_CARD, text, runs):
        digits = _digits(m.group())
        if 16 <= len(digits) <= 19 and not _overlaps(m.start(), m.end(), found):
            severity = ERROR if luhn(digits) else WARN
            found.append(Finding(m.start(), m.end(), BANK_CARD, severity, m.group(), "", RULE))
    for m in _in_runs(_MOBILE, text, runs):
        digits = _digits(m.group())[-11:]
        if not _overlaps(m.start(), m.end(), found) \
                and not _is_public(text, m.start(), digits, lists):
            found.append(Finding(m.start(), m.end(), MOBILE, WARN, m.group(), "", RULE))
    for m in _PASSPORT.finditer(text):
        found.append(Finding(m.start(1), m.end(1), PASSPORT, WARN, m.group(1), "", RULE))
    return found


def _at_an_office(text: str, m: re.Match[str]) -> bool:
    left = clause(text, m.start(), m.end())[0]
    return bool(_OFFICE_BEFORE.search(text, max(0, m.start() - 8), m.start())
                or _OFFICE_AFTER.match(text, m.end())
                or _OFFICE_LABEL.search(text, max(left, m.start() - 30), m.start()))


def _addresses(text: str) -> list[Finding]:
    """家住… / 住址：… with a number in it, and building-unit-room patterns not at an office."""
    found = []
    for m in _in_runs(_LIVES, text, _near(_LIVES_MARK, text, 4, 4)):
        tail = _CLAUSE_TAIL.match(text, m.end())
        if tail and re.search(r"\d", tail.group()):
            found.append(Finding(tail.start(), tail.end(), ADDRESS, WARN, tail.group(), "", RULE))
    for m in _in_runs(_HOME, text, _near(_HOME_MARK, text, 8, 16)):
        if _overlaps(m.start(), m.end(), found):
            continue
        if not _at_an_office(text, m):
            found.append(Finding(m.start(), m.end(), ADDRESS, WARN, m.group(), "", RULE))
    return found


def _said_of_a_person(text: str, m: re.Match[str]) -> bool:
    before = text[max(0, m.start() - 10):m.start()]
    return bool(_AGE_CUE.search(before)
                or _PARENS_OPEN.search(before) and _PARENS_CLOSE.match(text, m.end())
                or _AFTER_NAME.search(before) and _COMMA.match(text, m.end())
                or _PERSON_NOUN.match(text, m.end()))


def _minors(text: str) -> list[Finding]:
    """An age under 18 said of a person, and a pupil's school class."""
    found = []
    for m in _in_runs(_AGE, text, _near(_AGE_MARK, text, 4, 0)):
        if int(m.group(1)) >= _MINOR_AGE or _AGE_RANGE_AFTER.match(text, m.end()) \
                or _AGE_RANGE_BEFORE.search(text, max(0, m.start() - 4), m.start()):
            continue
        if _said_of_a_person(text, m):
            found.append(Finding(m.start(), m.end(), MINOR, WARN, m.group(), "", RULE))
    for m in _in_runs(_CLASS, text, _near(_CLASS_MARK, text, 12, 0)):
        left, right = sentence(text, m.start(), m.end())
        if _PUPIL.search(text, left, right):
            found.append(Finding(m.start(), m.end(), MINOR, WARN, m.group(), "", RULE))
    return found


def detect_personal(text: str, lists: WordLists, today: date | None = None) -> list[Finding]:
    """Resident IDs (error), bank cards (error if Luhn holds), mobiles, passports, home
    addresses and minors (warn)."""
    found = _numbers(text, lists, today)
    found += [f for f in _addresses(text) + _minors(text) if not _overlaps(f.start, f.end, found)]
    return found
