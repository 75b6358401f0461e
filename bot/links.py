"""Signed, short-lived links: one person may open one target until the link expires.

A link carries who it was issued to, what it opens ("draft:12", "board:qianjiang") and
until when, signed with HMAC-SHA256. Pages served by the bot verify it, then check that
the person may still see the target (the link is not a login: a forwarded link still
shows only what its person may see, and only until it expires).

    token = secret_for(settings) ...; sign(secret, person, target, expires_at)
    verify(secret, token, now) -> Grant, or LinkError(reason)
    url(settings, path, token) -> "https://bot.example.gov.cn/drafts/12?t=…"

The secret is `link_secret` from the environment, or else one generated once and kept in
the database (so every replica and every restart signs alike).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from bot.config import Settings
from models.secrets import AppSecret

SECRET_NAME = "links"
_SEP = "\n"
_cached: dict[str, bytes] = {}


class LinkError(Exception):
    """A link that does not open: reason is "malformed", "signature" or "expired"."""

    def __init__(self, reason: str, grant: Grant | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        # an expired but genuine link still says whose it was (to offer a fresh one)
        self.grant = grant


@dataclass(frozen=True)
class Grant:
    person: str
    target: str
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: bytes) -> str:
    return _b64(hmac.new(secret, payload, hashlib.sha256).digest())


def sign(secret: bytes, person: str, target: str, expires_at: datetime) -> str:
    """A URL-safe token granting `person` the `target` until `expires_at`."""
    if _SEP in person or _SEP in target:
        raise ValueError("person and target are single lines")
    payload = _SEP.join([person, target, str(int(expires_at.timestamp()))]).encode()
    return f"{_b64(payload)}.{_mac(secret, payload)}"


def verify(secret: bytes, token: str, now: datetime) -> Grant:
    """The grant a token carries; LinkError unless it is genuine and not expired."""
    try:
        body, mac = token.split(".")
        payload = _unb64(body)
        person, target, expiry = payload.decode().split(_SEP)
        expires_at = datetime.fromtimestamp(int(expiry), UTC)
    except (ValueError, UnicodeDecodeError, OverflowError, OSError):
        raise LinkError("malformed") from None
    if not hmac.compare_digest(_mac(secret, payload), mac):
        raise LinkError("signature")
    grant = Grant(person, target, expires_at)
    if now >= expires_at:
        raise LinkError("expired", grant)
    return grant


def expiry(settings: Settings, now: datetime) -> datetime:
    return now + timedelta(hours=settings.link_ttl_hours)


def base_url(settings: Settings) -> str:
    """How phones reach the bot: public_url, else this server's own address."""
    return settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"


def url(settings: Settings, path: str, token: str) -> str:
    return f"{base_url(settings)}{path}?t={token}"


async def secret_for(settings: Settings) -> bytes:
    """The signing key: link_secret if configured, else the database's own (made once)."""
    if settings.link_secret:
        return settings.link_secret.encode()
    cached = _cached.get(settings.database_url)
    if cached is not None:
        return cached
    row = await AppSecret.get_or_none(name=SECRET_NAME)
    if row is None:
        try:
            row = await AppSecret.create(name=SECRET_NAME, value=secrets.token_hex(32))
        except IntegrityError:  # another replica made it first
            row = await AppSecret.get(name=SECRET_NAME)
    _cached[settings.database_url] = row.value.encode()
    return _cached[settings.database_url]


def forget_cached_secret() -> None:
    """Tests that empty the database start over with a new secret."""
    _cached.clear()
