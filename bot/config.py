"""Settings: defaults < TOML file < GOVMEDIA_<KEY> environment variables.

Read once at start-up (bot.cli); nothing reads the environment at import time.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.rendering import msg

ENV_PREFIX = "GOVMEDIA_"
DB_SCHEMES = ("sqlite://", "postgres://", "psycopg://", "mysql://")


@dataclass(frozen=True)
class Settings:
    """Every configuration key; the names are the contract (DESIGN.md)."""

    database_url: str = "sqlite://govmedia.db"
    host: str = "127.0.0.1"
    port: int = 8080
    timezone: str = "Asia/Shanghai"
    policy: str = "default"
    log_level: str = "INFO"
    # where notifications go when a person has not just written to us
    channel: str = "sim"
    sim_enabled: bool = True
    seed_demo: bool = True
    max_message_chars: int = 10000
    outbox_poll_seconds: float = 1.0
    outbox_max_attempts: int = 10
    db_generate_schemas: bool = True

    # --- 企业微信 / 政务微信 channel (each channel adds its keys in its own block) ---

    # --- 钉钉 channel ---

    # --- reminders and scheduler ---
    scheduler_enabled: bool = True  # the reminder scan runs inside `serve`
    reminder_scan_seconds: int = 60  # how often; the scan itself catches up after downtime

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _coerce(kind: type, raw: Any) -> Any:
    if isinstance(raw, str) and kind is not str:
        parsers: dict[type, Callable[[str], Any]] = {bool: _parse_bool, int: int, float: float}
        return parsers[kind](raw.strip())
    if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if not isinstance(raw, kind) or (kind is int and isinstance(raw, bool)):
        raise ValueError(raw)
    return raw


def _field_types() -> dict[str, type]:
    hints = {"str": str, "int": int, "float": float, "bool": bool}
    return {f.name: hints[str(f.type)] for f in fields(Settings)}


def _check(settings: Settings) -> None:
    if not 1 <= settings.port <= 65535:
        raise ConfigError(msg("config.bad_value", key="port", value=settings.port,
                              expected=msg("config.expect_port")))
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(msg("config.bad_value", key="timezone", value=settings.timezone,
                              expected=msg("config.expect_timezone"))) from None
    if not settings.database_url.startswith(DB_SCHEMES):
        raise ConfigError(msg("config.bad_value", key="database_url",
                              value=settings.database_url, expected=msg("config.expect_db")))
    for key in ("max_message_chars", "outbox_max_attempts", "reminder_scan_seconds"):
        if getattr(settings, key) < 1:
            raise ConfigError(msg("config.bad_value", key=key, value=getattr(settings, key),
                                  expected=msg("config.expect_positive")))
    if settings.outbox_poll_seconds <= 0:
        raise ConfigError(msg("config.bad_value", key="outbox_poll_seconds",
                              value=settings.outbox_poll_seconds,
                              expected=msg("config.expect_positive")))


def _read_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(msg("config.file_missing", path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(msg("config.file_syntax", path=path, error=str(exc))) from None


def load_settings(config_file: str | None, environ: Mapping[str, str]) -> Settings:
    """Build Settings from an optional TOML file and the environment; ConfigError on a bad key."""
    types = _field_types()
    path = config_file or environ.get(ENV_PREFIX + "CONFIG")
    values: dict[str, Any] = {}
    if path:
        for key, raw in _read_file(path).items():
            if key not in types:
                raise ConfigError(msg("config.unknown_key", key=key, path=path))
            values[key] = (key, raw)
    for key in types:
        env_key = ENV_PREFIX + key.upper()
        if env_key in environ:
            values[key] = (env_key, environ[env_key])
    coerced: dict[str, Any] = {}
    for key, (source, raw) in values.items():
        try:
            coerced[key] = _coerce(types[key], raw)
        except (ValueError, KeyError):
            raise ConfigError(msg("config.bad_type", key=source, value=raw,
                                  expected=types[key].__name__)) from None
    settings = dataclasses.replace(Settings(), **coerced)
    _check(settings)
    return settings


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    """A copy with some keys changed (CLI flags such as --port), checked again."""
    updated = dataclasses.replace(settings, **changes)
    _check(updated)
    return updated


def sqlite_path(database_url: str) -> Path | None:
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        return Path(database_url.removeprefix("sqlite://"))
    return None
