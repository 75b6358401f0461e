"""Personal data in a draft (rule R-REV-8): ID numbers, mobiles, bank cards, passports.

Masked numbers (500101********1234, 138****5678) never match: the patterns need every digit.
"""

from __future__ import annotations

import re
from datetime import date

from bot.precheck.findings import (
    BANK_CARD,
    ERROR,
    ID_NUMBER,
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
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_CARD = re.compile(r"(?<![\dA-Za-z])62\d{2}(?:[ -]?\d){12,15}(?![\dA-Za-z])")
_PASSPORT = re.compile(
    r"(?:护照|通行证|旅行证|台胞证)[^\n\d]{0,8}?([A-Z]{1,2}\d{7,8})(?![\dA-Za-z])")
# a number under one of these labels is the office's, meant to be public
# (shared/precheck/public_hotlines_allowlist.txt header: 咨询电话/举报电话/服务热线/办公电话)
_PUBLIC_LABELS = ("热线", "咨询", "举报", "投诉", "办公电话", "服务电话", "值班电话", "客服")
_LABEL_WINDOW = 10


def valid_resident_id(number: str, today: date | None = None) -> bool:
    """GB 11643: known province prefix, a real birth date not in the future, check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if int(number[:2]) not in _PROVINCES:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or date.today()):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17].upper()


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _is_public(text: str, start: int, number: str, lists: WordLists) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - _LABEL_WINDOW):start]
    if any(label in before for label in _PUBLIC_LABELS):
        return True
    return number in lists.hotlines or any(re.match(p, number) for p in lists.hotline_patterns)


def _overlaps(start: int, end: int, taken: list[Finding]) -> bool:
    return any(start < f.end and f.start < end for f in taken)


def detect_personal(text: str, lists: WordLists, today: date | None = None) -> list[Finding]:
    """Resident IDs (error), bank cards (error if Luhn holds), mobiles and passports (warn)."""
    found = [Finding(m.start(), m.end(), ID_NUMBER, ERROR, m.group(), "", RULE)
             for m in _ID.finditer(text) if valid_resident_id(m.group(), today)]
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 16 <= len(digits) <= 19 and not _overlaps(m.start(), m.end(), found):
            severity = ERROR if luhn(digits) else WARN
            found.append(Finding(m.start(), m.end(), BANK_CARD, severity, m.group(), "", RULE))
    for m in _MOBILE.finditer(text):
        digits = re.sub(r"\D", "", m.group())[-11:]
        if not _overlaps(m.start(), m.end(), found) \
                and not _is_public(text, m.start(), digits, lists):
            found.append(Finding(m.start(), m.end(), MOBILE, WARN, m.group(), "", RULE))
    for m in _PASSPORT.finditer(text):
        found.append(Finding(m.start(1), m.end(1), PASSPORT, WARN, m.group(1), "", RULE))
    return found
