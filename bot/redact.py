"""One redaction step for everything that leaves memory as text: every log record (through
the log-record factory, so every handler sees the cleaned record) and every error the bot
stores (`outbox.last_error`, undeliverable reasons).

What is removed: the configured secrets (registered at start-up from Settings), tokens the
channels obtain at run time (registered when fetched), and, whatever their value, the
values of secret-bearing query parameters, headers and JSON fields (`corpsecret=`,
`access_token=`, `x-acs-dingtalk-access-token`, …), so an unexpected URL in an aiohttp
exception (a redirect loop, a proxy error) cannot carry one out either.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
MIN_SECRET_CHARS = 6  # shorter values would mask ordinary words
MAX_RUNTIME = 256  # tokens fetched at run time rotate (2 h); remember the recent ones
SECRET_SUFFIXES = ("_secret", "_token", "_aes_key", "_key")

# names whose value is a secret wherever they appear: query strings, JSON, headers, reprs
_NAMES = (r"corpsecret|access_token|accesstoken|appsecret|app_secret|secret|client_secret|"
          r"suitesecret|suite_access_token|provider_secret|token|key|sign|signature|"
          r"x-acs-dingtalk-access-token|authorization|password|passwd|session|code")
_PARAM = re.compile(rf"(?i)(?<![\w-])((?:{_NAMES})=)([^&\s'\"<>,;)\]}}]+)")
_QUOTED = re.compile(rf"(?i)(['\"](?:{_NAMES})['\"]\s*[:=]\s*['\"])([^'\"]+)")
_HEADER = re.compile(r"(?i)\b((?:x-acs-dingtalk-access-token|authorization):\s*)(\S+)")

_configured: set[str] = set()
_runtime: OrderedDict[str, None] = OrderedDict()
_longest_first: list[str] = []  # both of the above, longest first (a secret may contain another)


def _refresh() -> None:
    _longest_first[:] = sorted({*_configured, *_runtime}, key=len, reverse=True)


def register(*values: str | None) -> None:
    """Remember secret values to mask (configured secrets, fetched tokens)."""
    for value in values:
        if value and len(value) >= MIN_SECRET_CHARS:
            _runtime[value] = None
            _runtime.move_to_end(value)
            while len(_runtime) > MAX_RUNTIME:
                _runtime.popitem(last=False)
    _refresh()


def configure(secrets: Iterable[str]) -> None:
    """Start-up: the configured secrets (replaces the previous set)."""
    _configured.clear()
    _configured.update(s for s in secrets if s and len(s) >= MIN_SECRET_CHARS)
    _refresh()


def settings_secrets(settings: Any) -> list[str]:
    """Every secret-looking string key of Settings, and the database password."""
    from dataclasses import fields

    found = [getattr(settings, f.name) for f in fields(settings)
             if f.name.endswith(SECRET_SUFFIXES) and isinstance(getattr(settings, f.name), str)]
    password = urlsplit(settings.database_url).password if "@" in settings.database_url else None
    if password:
        found += [password, unquote(password)]
    return found


def redact(text: str) -> str:
    """The text with every known secret and every secret-bearing value masked."""
    if not text:
        return text
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _PARAM.sub(rf"\1{MASK}", text)
    text = _QUOTED.sub(rf"\1{MASK}", text)
    return _HEADER.sub(rf"\1{MASK}", text)


def scrub(record: logging.LogRecord) -> None:
    """Clean one log record in place: its message, its traceback, its string extras."""
    try:
        message = record.getMessage()
    except Exception:  # a bad %-format: keep the record as the logging module would
        return
    clean = redact(message)
    if clean != message or record.args:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(exception_text(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    for key, value in list(vars(record).items()):
        if key in _STANDARD or key.startswith("_") or not isinstance(value, str):
            continue
        setattr(record, key, redact(value))


def exception_text(exc_info: Any) -> str:
    """A traceback with every frame and exception type, but the message only of exceptions
    whose messages are ours or the network's (ids, codes, hosts): any other exception may
    quote the input that caused it (a ValidationError the value, int() the text), and log
    lines carry ids, never message text (issue 13)."""
    import aiohttp

    from bot.errors import BotError

    _, exc, _ = exc_info
    if exc is None:
        return logging.Formatter().formatException(exc_info)
    kept = (BotError, OSError, aiohttp.ClientError)
    te = traceback.TracebackException.from_exception(exc)
    pending: list[traceback.TracebackException | None] = [te]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        exc_type = getattr(current, "exc_type", None)
        message = getattr(current, "_str", "")
        if message and not (isinstance(exc_type, type) and issubclass(exc_type, kept)):
            setattr(current, "_str", f"<{len(message)} characters not logged>")  # noqa: B010
        pending += [current.__cause__, current.__context__]
    return "".join(te.format()).rstrip("\n")


_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}
_base_factory = logging.getLogRecordFactory()


def _factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    scrub(record)
    return record


def install() -> None:
    """Every log record made from now on is scrubbed before any handler sees it."""
    if logging.getLogRecordFactory() is not _factory:
        logging.setLogRecordFactory(_factory)
