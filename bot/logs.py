"""Logging set-up for the CLI: plain text lines (default) or one JSON object per line.

Rule for every module: never log a secret, a token, an AES key or a message body at
INFO or above; log ids (platform, event_id, outbox id) instead. A JSON line carries
time, level, logger, message and the `extra=` fields of the call (platform, event_id).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from bot import redact

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# the attributes every LogRecord has; anything else came in through extra=
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, keys in a stable order."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            # the text bot.redact made when the record was created, when it made one
            entry["exc_info"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time (test capture replaces it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure(level: str, fmt: str) -> None:
    """Install (or replace) the bot's handler on the root logger; every record is
    redacted when it is made (bot.redact), whatever handler writes it."""
    redact.install()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Tortoise says "Tortoise-ORM shutdown" at INFO on every close, which reads like a
    # failure at the end of every command; its warnings and errors still come through.
    # At DEBUG the database drivers log every statement with its parameters, i.e. message
    # texts and webhook keys: never below WARNING, whatever the level (issue 13)
    for name in ("tortoise", "aiosqlite", "asyncpg", "aiomysql"):
        logging.getLogger(name).setLevel(logging.WARNING)
