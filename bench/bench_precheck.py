"""机审 quality and speed.

    .venv/bin/python bench/bench_precheck.py [--runs N] [--show]

Quality: precision and recall per detector on the labelled corpus in tests/data/precheck/
(tests/precheck_corpus.py; the targets are asserted by tests/test_precheck_corpus.py).
--show lists every miss and every false finding.

Speed: pre-check time for a 5,000-character draft with the full lists (p50/p95, target
p95 ≤ 5 ms), as wall time and as CPU time of this thread (wall time on a shared machine
includes waiting for a core), and the Aho-Corasick automaton build time. The draft is
regulation text with problems mixed in, so every detector has work to do; a second set adds
5,000 unit words to show how the automaton scales with a big local list.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.policy import load_policy  # noqa: E402
from bot.precheck import Lexicon, WordLists, default_lists, precheck  # noqa: E402
from bot.precheck.findings import KINDS  # noqa: E402
from tests import precheck_corpus as corpus  # noqa: E402

DRAFT_CHARS = 5000
SEEDS = ("身份证号500114199003071238，", "电话13912345678。", "全城最佳，特价299元/晚，欢迎预订。",
         "国家卫计委通知。", "中华民国时期。", "见 https://mp.weixin.qq.com/s/x 。",
         "附旅游地图。", "发生群体性事件。", "家住金岸小区5幢1单元301号，", "年仅10岁的李小明，",
         "来源：抖音用户“某某”。", "转发本文集赞满38个。")


def draft_text() -> str:
    text = "".join(r.text for r in corpus.regulations())
    step = DRAFT_CHARS // (len(SEEDS) + 1)
    parts = []
    for i, seed in enumerate(SEEDS):
        parts += [text[i * step:(i + 1) * step - len(seed)], seed]
    draft = "".join(parts)
    return (draft + text[len(draft):])[:DRAFT_CHARS]


def synthetic_words(n: int) -> tuple[str, ...]:
    rng = random.Random(8)
    return tuple("".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 5)))
                 for _ in range(n))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _pct(value: float | None) -> str:
    return "   –" if value is None else f"{value * 100:5.1f}%"


def quality(show: bool) -> None:
    score = corpus.score(corpus.everything())
    groups = ", ".join(f"{n} {g}" for g, n in score.samples.items())
    print(f"corpus: {groups}")
    print(f"{'detector':18} {'planted':>7} {'caught':>6} {'false':>5} "
          f"{'(regs/clean/drafts)':>19} {'precision':>9} {'recall':>7}")
    for kind in (*KINDS, None):
        false = [score.false_count(kind, g)
                 for g in (corpus.REGULATIONS, corpus.CLEAN, corpus.PLANTED)]
        print(f"{kind or 'all':18} {score.planted(kind):7} {score.caught_count(kind):6} "
              f"{sum(false):5} {'/'.join(map(str, false)):>19} "
              f"{_pct(score.precision(kind)):>9} {_pct(score.recall(kind)):>7}")
    if show:
        for miss in score.missed:
            print(f"  missed  {miss.sample}: {miss.kind} {miss.text}")
        for f in score.false:
            print(f"  false   {f.sample}: {f.kind} {f.context}")


def bench(name: str, lists: WordLists, text: str, runs: int) -> None:
    builds = []
    for _ in range(20):
        t0 = time.perf_counter()
        lexicon = Lexicon(lists)
        builds.append(time.perf_counter() - t0)
    allowed = load_policy("default").is_allowed_source
    report = precheck(text, lexicon, is_allowed_source=allowed)
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        precheck(text, lexicon, is_allowed_source=allowed)
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - t0)
    ms = 1000
    print(f"{name}: {len(lexicon.words)} patterns, {len(text)} chars, "
          f"{len(report.findings)} findings")
    print(f"  build    median {statistics.median(builds) * ms:.2f} ms, "
          f"max {max(builds) * ms:.2f} ms")
    for label, samples in (("wall", wall), ("cpu", cpu)):
        print(f"  precheck {label:4} p50 {percentile(samples, 0.50) * ms:.3f} ms, "
              f"p95 {percentile(samples, 0.95) * ms:.3f} ms, max {max(samples) * ms:.3f} ms "
              f"({runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--show", action="store_true", help="list misses and false findings")
    args = parser.parse_args()
    t0 = time.perf_counter()
    lists = default_lists()
    read_ms = (time.perf_counter() - t0) * 1000
    quality(args.show)
    print(f"list files read in {read_ms:.2f} ms")
    text = draft_text()
    bench("shipped lists", lists, text, args.runs)
    bench("shipped + 5,000 unit words", lists.with_unit(sensitive=synthetic_words(5000)),
          text, args.runs)


if __name__ == "__main__":
    main()
