"""The labelled pre-check corpus in tests/data/precheck/ and its score per detector.

- regulations/: the five regulations (official prose); every finding on them is false.
- clean/*.txt: news, notices and policy interpretations, one item per paragraph; every
  finding is false.
- planted.toml: drafts with planted problems, each labelled [kind, text]; a finding of that
  kind overlapping the label's first occurrence catches it, any other finding is false.

Used by tests/test_precheck_corpus.py (the targets) and bench/bench_precheck.py (the table).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.policy import load_policy
from bot.precheck import Finding, Report, default_lists, lexicon_for, precheck, snippet
from bot.precheck.findings import KINDS

CORPUS = Path(__file__).resolve().parent / "data" / "precheck"
REGULATIONS = "regulations"
CLEAN = "clean"
PLANTED = "planted"
TODAY = date(2025, 1, 1)  # the corpus's IDs are checked against a fixed date
POLICY = load_policy("default")


@dataclass(frozen=True)
class Sample:
    name: str
    group: str  # REGULATIONS | CLEAN | PLANTED
    text: str
    title: str | None = None
    repost: str | None = None
    expect: tuple[tuple[str, str], ...] = ()

    @property
    def checked(self) -> str:
        """The text as the detectors see it (a draft's title, a line break, its body)."""
        return self.text if self.title is None else f"{self.title}\n{self.text}"


def _paragraphs(path: Path) -> list[str]:
    lines = [line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")]
    return [p.strip() for p in "\n".join(lines).split("\n\n") if p.strip()]


def regulations() -> list[Sample]:
    return [Sample(p.stem[:3], REGULATIONS, p.read_text("utf-8"))
            for p in sorted((CORPUS / REGULATIONS).glob("*.txt"))]


def clean() -> list[Sample]:
    return [Sample(f"{p.stem}/{i}", CLEAN, text)
            for p in sorted((CORPUS / CLEAN).glob("*.txt"))
            for i, text in enumerate(_paragraphs(p), start=1)]


def planted() -> list[Sample]:
    return [Sample(d["id"], PLANTED, d["text"], d["title"], d.get("repost"),
                   tuple((kind, text) for kind, text in d["expect"]))
            for path in sorted(CORPUS.glob("planted*.toml"))
            for d in tomllib.loads(path.read_text("utf-8"))["draft"]]


def everything() -> list[Sample]:
    return regulations() + clean() + planted()


def check(sample: Sample) -> Report:
    return precheck(sample.text, lexicon_for(default_lists()), title=sample.title,
                    is_allowed_source=POLICY.is_allowed_source, repost_url=sample.repost,
                    today=TODAY)


@dataclass(frozen=True)
class Miss:
    sample: str
    kind: str
    text: str


@dataclass(frozen=True)
class FalseFinding:
    sample: str
    group: str
    kind: str
    text: str
    context: str


@dataclass
class Score:
    """Counts over a corpus, per kind of finding."""

    caught: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    missed: list[Miss] = field(default_factory=list)
    false: list[FalseFinding] = field(default_factory=list)
    samples: dict[str, int] = field(default_factory=dict)  # group -> number of samples

    def planted(self, kind: str | None = None) -> int:
        return self.caught_count(kind) + len([m for m in self.missed if kind in (None, m.kind)])

    def caught_count(self, kind: str | None = None) -> int:
        return sum(n for k, n in self.caught.items() if kind in (None, k))

    def false_count(self, kind: str | None = None, group: str | None = None) -> int:
        return len([f for f in self.false if kind in (None, f.kind) and group in (None, f.group)])

    def recall(self, kind: str | None = None) -> float | None:
        planted = self.planted(kind)
        return self.caught_count(kind) / planted if planted else None

    def precision(self, kind: str | None = None) -> float | None:
        flagged = self.caught_count(kind) + self.false_count(kind)
        return self.caught_count(kind) / flagged if flagged else None


def _label_span(sample: Sample, text: str) -> tuple[int, int]:
    at = sample.checked.find(text)
    if at < 0 and text != sample.repost:
        raise ValueError(f"{sample.name}: label {text!r} is not in the draft")
    return at, at + len(text)


def _catches(finding: Finding, kind: str, span: tuple[int, int], text: str) -> bool:
    if finding.kind != kind:
        return False
    if finding.start < 0:  # the `转载：` line
        return finding.text == text
    return finding.start < span[1] and span[0] < finding.end


def score(samples: Iterable[Sample]) -> Score:
    result = Score()
    for sample in samples:
        result.samples[sample.group] = result.samples.get(sample.group, 0) + 1
        open_ = list(check(sample).findings)
        for kind, text in sample.expect:
            span = _label_span(sample, text)
            hit = next((f for f in open_ if _catches(f, kind, span, text)), None)
            if hit is None:
                result.missed.append(Miss(sample.name, kind, text))
            else:
                result.caught[kind] += 1
                open_.remove(hit)
        for f in open_:
            context = f.text if f.start < 0 else snippet(sample.checked, f.start, f.end)
            result.false.append(FalseFinding(sample.name, sample.group, f.kind, f.text, context))
    return result
