"""`govmedia precheck [FILE|-] [--policy NAME] [--format text|json]`: the machine pre-review
of a text file or standard input, for an editor or a script, before a draft is submitted.

It uses the shipped word lists and the policy's repost allow-list, and no database (a unit's
own 词库 words live in the database and apply when the draft is submitted)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.cli.common import Subparsers, err
from bot.config import Settings
from bot.errors import ConfigError
from bot.policy import load_policy
from bot.precheck import ERROR, Finding, Report, default_lists, lexicon_for, precheck, snippet
from bot.rendering import msg

FORMATS = ("text", "json")
STDIN = "-"
EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2  # 1: an error-level finding


def register(sub: Subparsers) -> None:
    pre = sub.add_parser("precheck", help=msg("precheck.cli_help"),
                         description=msg("precheck.cli_help"))
    pre.add_argument("file", nargs="?", default=STDIN, help=msg("precheck.cli_file_help"))
    pre.add_argument("--policy", help=msg("precheck.cli_policy_help"))
    pre.add_argument("--format", choices=FORMATS, default="text")
    pre.set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """No database: the shipped lists and the policy's allow-list; exit 1 on an error."""
    try:
        report = check(read_input(args.file, sys.stdin), args.policy or settings.policy)
    except ConfigError as exc:
        err(str(exc))
        return EXIT_USAGE
    for line in as_json(report) if args.format == "json" else as_text(report):
        print(line)
    return exit_code(report)


def read_input(source: str | None, stdin: TextIO) -> str:
    """The text to check; ConfigError with a Chinese message when it cannot be read."""
    if source in (None, STDIN):
        return stdin.read().removeprefix("\ufeff")
    try:
        return Path(source).read_text("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(msg("precheck.cli_no_file", path=source)) from None
    except UnicodeDecodeError:
        raise ConfigError(msg("precheck.cli_not_utf8", path=source)) from None
    except IsADirectoryError:
        raise ConfigError(msg("precheck.cli_directory", path=source)) from None
    except OSError:
        raise ConfigError(msg("precheck.cli_unreadable", path=source)) from None


def check(text: str, policy_name: str) -> Report:
    policy = load_policy(policy_name)
    return precheck(text, lexicon_for(default_lists()), is_allowed_source=policy.is_allowed_source)


def _advice(f: Finding) -> str:
    return msg(f"precheck.advice.{f.kind}", suggestion=f.suggestion, rule=f.rule)


def as_json(report: Report) -> Iterator[str]:
    """One JSON object per finding, in text order; offsets index the input (code points)."""
    for f in report.findings:
        yield json.dumps({"kind": f.kind, "severity": f.severity, "start": f.start, "end": f.end,
                          "text": f.text, "message": _advice(f), "rule": f.rule},
                         ensure_ascii=False)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def as_text(report: Report) -> Iterator[str]:
    """Errors first, then warnings, each at its line:column with its rule; then the count."""
    for f in report.by_severity():
        line, column = _line_column(report.text, f.start)
        yield msg("precheck.cli_line", line=line, column=column,
                  severity=msg(f"precheck.severity.{f.severity}"),
                  label=msg(f"precheck.kind.{f.kind}"),
                  snippet=snippet(report.text, f.start, f.end), advice=_advice(f))
    counts = report.counts()
    yield msg("precheck.cli_summary", total=len(report.findings), errors=counts.get(ERROR, 0),
              warnings=len(report.findings) - counts.get(ERROR, 0))


def exit_code(report: Report) -> int:
    return EXIT_ERRORS if report.errors else EXIT_CLEAN
