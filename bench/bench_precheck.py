"""机审 speed: pre-check time for a 5,000-character draft with the full lists (p50/p95,
target p95 < 5 ms) and the Aho-Corasick automaton build time.

    .venv/bin/python bench/bench_precheck.py [--runs N]

The draft is regulation text (../shared/regulations) with seeded problems mixed in, so
every detector has work to do. A second set adds 5,000 unit words to show how the
automaton scales with a big local list.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from bot.policy import load_policy
from bot.precheck import Lexicon, WordLists, default_lists, precheck

ROOT = Path(__file__).resolve().parents[1]
REGULATIONS = ROOT.parent / "shared" / "regulations"
DRAFT_CHARS = 5000
SEEDS = ("身份证号500114199003071238，", "电话13912345678。", "全城最佳，特价299元/晚，欢迎预订。",
         "国家卫计委通知。", "中华民国时期。", "见 https://mp.weixin.qq.com/s/x 。",
         "附旅游地图。", "发生群体性事件。")


def draft_text() -> str:
    corpus = "".join(p.read_text("utf-8") for p in sorted(REGULATIONS.glob("*.txt")))
    step = DRAFT_CHARS // (len(SEEDS) + 1)
    parts = []
    for i, seed in enumerate(SEEDS):
        parts += [corpus[i * step:(i + 1) * step - len(seed)], seed]
    text = "".join(parts)
    return (text + corpus[len(text):])[:DRAFT_CHARS]


def synthetic_words(n: int) -> tuple[str, ...]:
    rng = random.Random(8)
    return tuple("".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 5)))
                 for _ in range(n))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench(name: str, lists: WordLists, text: str, runs: int) -> None:
    builds = []
    for _ in range(20):
        t0 = time.perf_counter()
        lexicon = Lexicon(lists)
        builds.append(time.perf_counter() - t0)
    allowed = load_policy("default").is_allowed_source
    report = precheck(text, lexicon, is_allowed_source=allowed)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        precheck(text, lexicon, is_allowed_source=allowed)
        times.append(time.perf_counter() - t0)
    ms = 1000
    print(f"{name}: {len(lexicon.words)} patterns, {len(text)} chars, "
          f"{len(report.findings)} findings")
    print(f"  build   median {statistics.median(builds) * ms:.2f} ms, "
          f"max {max(builds) * ms:.2f} ms")
    print(f"  precheck p50 {percentile(times, 0.50) * ms:.3f} ms, "
          f"p95 {percentile(times, 0.95) * ms:.3f} ms, max {max(times) * ms:.3f} ms "
          f"({runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    lists = default_lists()
    print(f"list files read in {(time.perf_counter() - t0) * 1000:.2f} ms")
    text = draft_text()
    bench("shipped lists", lists, text, args.runs)
    bench("shipped + 5,000 unit words", lists.with_unit(sensitive=synthetic_words(5000)),
          text, args.runs)


if __name__ == "__main__":
    main()
