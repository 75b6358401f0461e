"""Corpus: the five regulations are clean official text (no error finding); seeded bad
drafts each produce the finding they were written for."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import load_policy
from bot.precheck import ERROR, default_lists, lexicon_for, precheck
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

REGULATIONS = Path(__file__).resolve().parents[1].parent / "shared" / "regulations"
POLICY = load_policy("default")


def _check(text: str, repost_url: str | None = None) -> list[tuple[str, str, str]]:
    report = precheck(text, lexicon_for(default_lists()),
                      is_allowed_source=POLICY.is_allowed_source, repost_url=repost_url)
    return [(f.kind, f.severity, f.text) for f in report.findings]


def test_the_regulations_are_found() -> None:
    assert len(sorted(REGULATIONS.glob("*.txt"))) == 5


@pytest.mark.parametrize("path", sorted(REGULATIONS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_regulations_have_no_error_finding(path: Path) -> None:
    errors = [f for f in _check(path.read_text("utf-8")) if f[1] == ERROR]
    assert errors == []


SEEDED = [
    ("关于张某某的低保公示\n申请人张某某，身份证号500114199003071238，家庭人口3人。",
     None, ID_NUMBER, "500114199003071238"),
    ("寻人启事\n家属王某，联系电话13912345678，请知情者联系。", None, MOBILE, "13912345678"),
    ("补助发放\n补助款已发放至6222021234567890128账户。", None, BANK_CARD, "6222021234567890128"),
    ("出国备案\n该同志护照号码E12345678已上交保管。", None, PASSPORT, "E12345678"),
    ("黔江酒店推介\n山景大床房特价299元/晚，享受全城最佳服务，欢迎预订。", None,
     AD_ABSOLUTE, "最佳"),
    ("卫生工作会议\n会议传达了国家卫计委有关文件精神。", None, OUTDATED_NAME, "国家卫计委"),
    ("历史文化讲座\n讲座回顾了中华民国的建筑风格。", None, NORM, "中华民国"),
    ("学习会\n深入学习国家主席、中共中央总书记、中央军委主席习近平重要讲话精神。", None,
     LEADER_ORDER, "国家主席、中共中央总书记、中央军委主席"),
    ("转发\n正文见链接。", "https://www.sohu.com/a/123", SOURCE_PLATFORM,
     "https://www.sohu.com/a/123"),
    ("转发\n原文 https://gov.cn.evil.com/notice 。", None, SOURCE_UNOFFICIAL,
     "https://gov.cn.evil.com/notice"),
    ("全区旅游地图发布\n请下载全区旅游地图，规划您的行程。", None, MAP_NO_APPROVAL, "地图"),
    ("情况通报\n某村发生群体性事件，现已平息。", None, SENSITIVE_EVENT, "群体性事件"),
]


@pytest.mark.parametrize(("text", "repost_url", "kind", "matched"), SEEDED,
                         ids=[s[2] for s in SEEDED])
def test_seeded_bad_drafts(text: str, repost_url: str | None, kind: str, matched: str) -> None:
    assert (kind, matched) in [(k, t) for k, _, t in _check(text, repost_url)]
