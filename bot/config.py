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
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.rendering import msg

ENV_PREFIX = "GOVMEDIA_"
DB_SCHEMES = ("sqlite://", "postgres://", "psycopg://", "mysql://")
DINGTALK_REQUIRED = ("dingtalk_app_key", "dingtalk_app_secret", "dingtalk_robot_code")
WECOM_KEYS = ("wecom_corp_id", "wecom_agent_id", "wecom_secret", "wecom_token", "wecom_aes_key")
LOG_FORMATS = ("text", "json")
AUTO_JOIN_SECONDS = 10.0  # draft_join_seconds = -1 next to a real channel
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SIM_TOKEN_MIN_CHARS = 16
ENV_ONLY = ("sim_token",)  # logins are never written into a config file
OPS_SECONDS = ("health_db_timeout_seconds", "health_heartbeat_max_age_seconds",
               "health_outbox_max_age_seconds")


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
    # the browser simulator and the demo organisation: on by default, off by default once
    # a real channel is configured; the simulator then needs sim_token (a login), and the
    # demo is never seeded next to a real channel
    sim_enabled: bool = True
    sim_token: str = ""
    seed_demo: bool = True
    max_message_chars: int = 10000
    outbox_poll_seconds: float = 1.0
    outbox_max_attempts: int = 10
    # how long a sender owns the rows it claimed; after a crash others wait this long
    outbox_lease_seconds: float = 60.0
    # recipients one sender serves at once (each one's messages still go in order): the
    # platform takes tens of ms per call, so one at a time would leave a replica idle
    outbox_send_concurrency: int = 8
    # an inbox event a pump claimed and did not finish (it crashed) is taken over after this
    inbox_lease_seconds: float = 30.0
    db_generate_schemas: bool = True

    # --- links to pages served by the bot (the full draft, the board) ---
    # how phones reach this server, e.g. https://xmt.example.gov.cn; empty: http://host:port,
    # which only works on this machine (start-up warns when a real channel is configured)
    public_url: str = ""
    # signs the links; empty: a key made once and kept in the database (secrets: env only)
    link_secret: str = ""
    link_ttl_hours: float = 24.0  # a link works this long; `全文 #N` gives a fresh one

    # --- drafts that come as several messages, Word files and pictures ---
    # messages and pictures the author sends within this many seconds of the last one are
    # joined into the draft before it goes to review; 0: review at once. -1 (auto): 10 s
    # when WeCom or DingTalk is configured (they split long pastes and deliver pictures as
    # separate messages), 0 with the simulator alone (it does neither)
    draft_join_seconds: float = -1.0
    draft_file_max_mb: float = 20.0  # a .docx draft (WeCom's media/get serves files ≤20 MB)
    picture_max_mb: float = 10.0
    # where sent files are kept; empty: in the database (so `db backup` has them)
    file_store_dir: str = ""

    # --- 企业微信 / 政务微信 channel (each channel adds its keys in its own block) ---
    wecom_corp_id: str = ""
    wecom_agent_id: str = ""
    wecom_secret: str = ""
    wecom_token: str = ""
    wecom_aes_key: str = ""
    # 政务微信 and private deployments run their own host; every API path is relative to it
    wecom_api_base: str = "https://qyapi.weixin.qq.com"

    # --- 钉钉 channel ---
    # enabled when app key, secret and robot code are set; "stream" needs no public URL
    dingtalk_app_key: str = ""
    dingtalk_app_secret: str = ""
    dingtalk_robot_code: str = ""
    dingtalk_mode: str = "stream"  # stream | http
    # interactive approval cards; empty: cards go out as markdown with typed commands
    dingtalk_card_template_id: str = ""
    dingtalk_api_base: str = "https://api.dingtalk.com"
    dingtalk_oapi_base: str = "https://oapi.dingtalk.com"
    # http mode with cards: the public URL of /dingtalk/card, registered for card callbacks
    dingtalk_card_callback_url: str = ""

    # --- the audit chain: HMAC key, kept outside the database (bot/audit.py) ---
    audit_key: str = ""  # environment only (GOVMEDIA_AUDIT_KEY)
    audit_key_file: str = ""  # or a file: the first line signs, later lines only verify

    # --- reminders and scheduler ---
    scheduler_enabled: bool = True  # the reminder scan runs inside `serve`
    reminder_scan_seconds: int = 60  # how often; the scan itself catches up after downtime

    # --- operations: logs and /healthz ---
    log_format: str = "text"  # text | json (one JSON object per line)
    health_db_timeout_seconds: float = 2.0
    # a background loop (outbox sender, scheduler) that has not beaten for longer is dead
    health_heartbeat_max_age_seconds: float = 120.0
    # an undelivered outbox message older than this makes /healthz unhealthy
    health_outbox_max_age_seconds: float = 900.0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def dingtalk_enabled(self) -> bool:
        return any(getattr(self, key) for key in DINGTALK_REQUIRED)

    @property
    def wecom_enabled(self) -> bool:
        return all(getattr(self, k) for k in WECOM_KEYS)

    @property
    def real_channel(self) -> bool:
        """A real messaging platform is configured: this is not a demo."""
        return self.wecom_enabled or self.dingtalk_enabled

    @property
    def join_seconds(self) -> float:
        """draft_join_seconds with "auto" (-1) resolved."""
        if self.draft_join_seconds >= 0:
            return self.draft_join_seconds
        return AUTO_JOIN_SECONDS if self.real_channel else 0.0


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
    for key in ("max_message_chars", "outbox_max_attempts", "outbox_send_concurrency",
                "reminder_scan_seconds"):
        if getattr(settings, key) < 1:
            raise ConfigError(msg("config.bad_value", key=key, value=getattr(settings, key),
                                  expected=msg("config.expect_positive")))
    for key in ("outbox_poll_seconds", "outbox_lease_seconds", "inbox_lease_seconds",
                "link_ttl_hours", "draft_file_max_mb", "picture_max_mb", *OPS_SECONDS):
        if getattr(settings, key) <= 0:
            raise ConfigError(msg("config.bad_value", key=key, value=getattr(settings, key),
                                  expected=msg("config.expect_positive")))
    if settings.draft_join_seconds < 0 and settings.draft_join_seconds != -1:
        raise ConfigError(msg("config.bad_value", key="draft_join_seconds",
                              value=settings.draft_join_seconds,
                              expected=msg("draft.expect_join_seconds")))
    if settings.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(msg("config.bad_value", key="log_level", value=settings.log_level,
                              expected=msg("config.expect_log_level")))
    if settings.log_format not in LOG_FORMATS:
        raise ConfigError(msg("config.bad_value", key="log_format", value=settings.log_format,
                              expected=msg("ops.expect_log_format")))
    if settings.public_url and not _is_base_url(settings.public_url):
        raise ConfigError(msg("config.bad_value", key="public_url", value=settings.public_url,
                              expected=msg("links.expect_public_url")))
    _check_dingtalk(settings)
    _check_wecom(settings)
    _check_demo(settings)


def _check_demo(settings: Settings) -> None:
    """Next to a real channel: no demo organisation, and a simulator only behind a login."""
    if not settings.real_channel:
        return
    if settings.seed_demo:
        raise ConfigError(msg("config.demo_with_real_channel"))
    if settings.sim_enabled and len(settings.sim_token) < SIM_TOKEN_MIN_CHARS:
        raise ConfigError(msg("config.sim_needs_token", chars=SIM_TOKEN_MIN_CHARS))


def _is_base_url(value: str) -> bool:
    parts = urlsplit(value)
    return (parts.scheme in ("http", "https") and bool(parts.hostname)
            and not parts.query and not parts.fragment)


def public_url_warning(settings: Settings) -> str | None:
    """The start-up warning when phones on a real channel could not open the bot's links."""
    if settings.public_url or not settings.real_channel:
        return None
    return msg("links.public_url_missing", base=f"http://{settings.host}:{settings.port}")


def _check_dingtalk(settings: Settings) -> None:
    if not settings.dingtalk_enabled:
        return
    needed = list(DINGTALK_REQUIRED)
    if settings.dingtalk_mode == "http" and settings.dingtalk_card_template_id:
        needed.append("dingtalk_card_callback_url")
    for key in needed:
        if not getattr(settings, key):
            raise ConfigError(msg("dingtalk.config_missing", key=key))
    if settings.dingtalk_mode not in ("http", "stream"):
        raise ConfigError(msg("config.bad_value", key="dingtalk_mode",
                              value=settings.dingtalk_mode,
                              expected=msg("dingtalk.expect_mode")))


def _check_wecom(settings: Settings) -> None:
    """Either every WeCom key is set or none is; a half-configured channel names its gap."""
    missing = [k for k in WECOM_KEYS if not getattr(settings, k)]
    if missing and len(missing) < len(WECOM_KEYS):
        raise ConfigError(msg("wecom.config_missing", key=ENV_PREFIX + missing[0].upper()))
    if missing:
        return
    if not settings.wecom_agent_id.isdigit():
        raise ConfigError(msg("config.bad_value", key="wecom_agent_id",
                              value=settings.wecom_agent_id, expected=msg("wecom.expect_agent_id")))
    if len(settings.wecom_aes_key) != 43:
        raise ConfigError(msg("config.bad_value", key="wecom_aes_key", value="…",
                              expected=msg("wecom.expect_aes_key")))
    if not settings.wecom_api_base.startswith(("https://", "http://")):
        raise ConfigError(msg("config.bad_value", key="wecom_api_base",
                              value=settings.wecom_api_base, expected=msg("wecom.expect_url")))


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
            if key in ENV_ONLY:
                raise ConfigError(msg("config.env_only", key=key, path=path,
                                      env=ENV_PREFIX + key.upper()))
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
                                  expected=msg(f"config.type_{types[key].__name__}"))) from None
    settings = dataclasses.replace(Settings(), **coerced)
    if settings.real_channel:
        # a real office: the demo parts are off unless asked for (and then checked)
        demo_off: dict[str, Any] = {k: False for k in ("sim_enabled", "seed_demo")
                                    if k not in coerced}
        settings = dataclasses.replace(settings, **demo_off)
    if "channel" not in coerced:
        # a configured platform is the office's main channel unless `channel` says otherwise
        for name, enabled in (("wecom", settings.wecom_enabled),
                              ("dingtalk", settings.dingtalk_enabled)):
            if enabled:
                settings = dataclasses.replace(settings, channel=name)
                break
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
