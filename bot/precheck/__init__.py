"""机审: the machine pre-review. Small pure detectors over the NFKC-normalized draft that
flag likely problems for the reviewer; they decide nothing (people decide)."""

from bot.precheck.engine import Report, precheck
from bot.precheck.findings import ERROR, SEVERITIES, WARN, Finding, normalize_text, snippet
from bot.precheck.lexicon import Lexicon, lexicon_for
from bot.precheck.lists import WordLists, default_lists

__all__ = ["ERROR", "SEVERITIES", "WARN", "Finding", "Lexicon", "Report", "WordLists",
           "default_lists", "lexicon_for", "normalize_text", "precheck", "snippet"]
