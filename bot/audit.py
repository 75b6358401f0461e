"""The audit log: append inside the caller's transaction, verify on demand.

Each event is chained to the one before it. With an audit key (HMAC-SHA256, the key
kept outside the database: `GOVMEDIA_AUDIT_KEY` or `audit_key_file`) nobody with only
write access to the database can rewrite an event and recompute the chain. Events
written before a key was configured keep their plain SHA-256 hashes (`key_id` ""), and
stay verifiable as they were; the first keyed event links to the last plain one, so from
then on rewriting an old event also breaks a keyed link. `seal()` writes that first keyed
event at start-up. A keyed chain never goes back to plain events.

What a keyed chain cannot show by itself: that its newest events were not cut off
together with the head row. The head (`govmedia audit head`, sent to the supervisors
every week) is what catches that: `audit verify --head N:HASH` checks a head kept outside.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.clock import utcnow
from bot.errors import BotError, ConfigError, os_reason
from bot.fixed import Fixed
from bot.rendering import msg
from models.system import AuditEvent, AuditHead

GENESIS = "0" * 64
BATCH = 500
KEY_MIN_CHARS = 32
KEY_ID_CHARS = 12
SEAL_ACTION = "audit.keyed"


class AuditKeyMissing(BotError):
    """The chain is keyed but no key is configured: a plain event would be a downgrade."""


@dataclass(frozen=True)
class Keyring:
    """The key new events are signed with (its id, "" for none) and every known key."""

    current: str = ""
    keys: Mapping[str, bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, secrets: Iterable[str]) -> Keyring:
        """The first secret signs; the others (retired keys) only verify."""
        keys: dict[str, bytes] = {}
        current = ""
        for secret in secrets:
            raw = secret.encode("utf-8")
            ident = key_id(raw)
            keys.setdefault(ident, raw)
            current = current or ident
        return cls(current, keys)


def key_id(key: bytes) -> str:
    """A short public name for a key (it reveals nothing about the key)."""
    return hashlib.sha256(b"govmedia-audit-key-id\x00" + key).hexdigest()[:KEY_ID_CHARS]


_keyring = Keyring()


def use_keys(ring: Keyring) -> None:
    """Set the process's keys (start-up, the CLI, tests); Tortoise is process-global too."""
    global _keyring
    _keyring = ring


def keyring() -> Keyring:
    return _keyring


def load_keyring(audit_key: str, audit_key_file: str) -> Keyring:
    """The keys from the environment and/or a file (one key per line, the first signs,
    later lines are retired keys kept for verifying old events; # starts a comment)."""
    secrets = [audit_key.strip()] if audit_key.strip() else []
    if audit_key_file:
        try:
            text = Path(audit_key_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(msg("audit.key_file_unreadable", path=audit_key_file,
                                  error=os_reason(exc))) from None
        secrets += [line.strip() for line in text.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    for secret in secrets:
        if len(secret) < KEY_MIN_CHARS:
            raise ConfigError(msg("audit.key_too_short", chars=KEY_MIN_CHARS))
    return Keyring.of(secrets)


def canonical(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(prev: str, seq: int, at: str, actor: str, action: str, subject: str,
               data: str, key: bytes | None = None) -> str:
    """SHA-256 of the event and its predecessor's hash; HMAC-SHA256 when keyed."""
    material = "\x1f".join([prev, str(seq), at, actor, action, subject, data]).encode("utf-8")
    if key is None:
        return hashlib.sha256(material).hexdigest()
    return hmac.new(key, material, hashlib.sha256).hexdigest()


# the head moved from where this process left it to the new last event, if nobody else
# moved it meanwhile (fixed SQL: every event runs it, issue 19)
_MOVE_HEAD: Fixed[int] = Fixed(
    lambda seq, hash_, new_seq, new_hash, key_id: AuditHead.filter(
        id=1, seq=seq, hash=hash_).update(seq=new_seq, hash=new_hash, key_id=key_id),
    lambda seq, hash_, new_seq, new_hash, key_id: [new_seq, new_hash, key_id, 1, seq, hash_])


async def _locked_head() -> AuditHead:
    head = await AuditHead.select_for_update().get_or_none(id=1)
    if head is None:
        await AuditHead.get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS})
        head = await AuditHead.select_for_update().get(id=1)
    return head


# (actor, action, subject, canonical data) appended inside deferred(), not yet written
_Pending = tuple[str, str, str, str]
_pending: ContextVar[list[_Pending] | None] = ContextVar("audit_pending", default=None)


async def append(actor: str, action: str, subject: str, data: Mapping[str, Any]) -> None:
    """Append one event; call inside the transaction of the change it records. Inside
    deferred() it is written with the others at the end of that block."""
    pending = _pending.get()
    if pending is not None:
        pending.append((actor, action, subject, canonical(data)))
        return
    await _write([(actor, action, subject, canonical(data))])


@asynccontextmanager
async def deferred() -> AsyncIterator[None]:
    """Collect the appends of a block and write them when it ends without an error, in
    the order made: one locked head read, one insert and one head update for all of them
    (a handler's transaction; the head row stays locked only from then to the commit).
    head() inside the block writes what is pending first."""
    pending: list[_Pending] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    await _write(pending)


async def _flush_pending() -> None:
    pending = _pending.get()
    if pending:
        await _write(list(pending))
        pending.clear()


@dataclass(frozen=True)
class _Left:
    """Where this process left the head with its last write (a guess: another replica or
    a command may have moved it since), and whether the write before found it unmoved."""

    seq: int
    hash: str
    key_id: str
    unmoved: bool


_left: _Left | None = None


def forget_head() -> None:
    """A new database connection: where this process left a head says nothing about it."""
    global _left
    _left = None


async def _write(events: list[_Pending]) -> None:
    """The events after the head, and the head moved to the last of them. A process that
    found the head where it left it last time (one replica, the usual case) moves it by a
    conditional update on that guess and reads nothing: two statements, not three. The
    update matches only the head as guessed, and locks it as the locked read would (on
    PostgreSQL and MySQL it waits for a writer holding it and then sees its commit); if it
    matches nothing the head is read locked, as always."""
    global _left
    if not events:
        return
    ring = _keyring
    key = ring.keys[ring.current] if ring.current else None
    at = utcnow().isoformat(timespec="microseconds")
    left = _left
    if left is not None and left.unmoved and (ring.current or not left.key_id):
        rows, seq, prev = _chain(events, left.seq, left.hash, at, ring.current, key)
        if await _MOVE_HEAD(left.seq, left.hash, seq, prev, ring.current):
            await _insert(rows)
            _left = _Left(seq, prev, ring.current, True)
            return
    head = await _locked_head()
    if (head.key_id or "") and not ring.current:
        raise AuditKeyMissing(msg("audit.key_needed"))
    rows, seq, prev = _chain(events, head.seq, head.hash, at, ring.current, key)
    await _insert(rows)
    unmoved = left is None or (left.seq, left.hash) == (head.seq, head.hash)
    head.seq, head.hash, head.key_id = seq, prev, ring.current
    await head.save(update_fields=["seq", "hash", "key_id"])
    # a head another writer moved since this process's last write: the next write reads
    # it (a guess that keeps missing would cost a statement each time)
    _left = _Left(seq, prev, ring.current, unmoved)


def _chain(events: list[_Pending], seq: int, prev: str, at: str, key_id: str,
           key: bytes | None) -> tuple[list[AuditEvent], int, str]:
    """The events' rows chained after (seq, prev); the new head's seq and hash."""
    rows = []
    for actor, action, subject, body in events:
        seq += 1
        digest = chain_hash(prev, seq, at, actor, action, subject, body, key)
        rows.append(AuditEvent(seq=seq, at=at, actor=actor, action=action, subject=subject,
                               data=body, prev_hash=prev, hash=digest, key_id=key_id))
        prev = digest
    return rows, seq, prev


async def _insert(rows: list[AuditEvent]) -> None:
    if len(rows) == 1:
        await rows[0].save(force_create=True)
    else:
        await AuditEvent.bulk_create(rows)


async def seal() -> bool:
    """With a key configured and a chain that ends in plain events: append the first
    keyed event, which anchors every plain event before it. True if it wrote one."""
    from tortoise.transactions import in_transaction

    if not _keyring.current:
        return False
    async with in_transaction():
        head = await _locked_head()
        if head.seq == 0 or (head.key_id or ""):
            return False
        await append("system", SEAL_ACTION, "audit",
                     {"key_id": _keyring.current, "plain_events": head.seq})
    return True


@dataclass(frozen=True)
class Head:
    """What a supervisor keeps outside the database: the count and the last hash."""

    count: int
    hash: str
    key_id: str = ""
    at: str = ""

    @property
    def token(self) -> str:
        """The form `audit verify --head` takes back: COUNT:HASH."""
        return f"{self.count}:{self.hash}"


async def head() -> Head:
    """The chain's current head (the `audit head` command, reports, the weekly message)."""
    await _flush_pending()
    row = await AuditHead.get_or_none(id=1)
    if row is None or row.seq == 0:
        return Head(0, GENESIS)
    last = await AuditEvent.get_or_none(seq=row.seq)
    return Head(row.seq, row.hash, row.key_id or "", last.at if last else "")


def parse_head(text: str) -> Head:
    """COUNT:HASH as printed by `audit head`; ValueError if malformed."""
    count, _, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not count.strip().isdigit() or len(digest) != 64 or \
            any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(text)
    return Head(int(count), digest)


@dataclass(frozen=True)
class VerifyResult:
    count: int
    broken_at: int | None = None
    reason: str = ""
    plain: int = 0  # events hashed without a key (written before one was configured)
    keyed: int = 0  # events whose HMAC was checked
    unchecked: int = 0  # keyed events whose key is not configured here: links checked only
    head_matched: bool | None = None  # against --head: None when not asked

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def iter_events() -> AsyncIterator[AuditEvent]:
    last = 0
    while True:
        batch = await AuditEvent.filter(seq__gt=last).order_by("seq").limit(BATCH)
        if not batch:
            return
        for event in batch:
            yield event
        last = batch[-1].seq


@dataclass
class _Walk:
    prev: str = GENESIS
    count: int = 0
    plain: int = 0
    keyed: int = 0
    unchecked: int = 0
    last_key: str = ""
    hash_at: dict[int, str] = field(default_factory=dict)

    def result(self, broken_at: int | None = None, reason: str = "",
               head_matched: bool | None = None) -> VerifyResult:
        return VerifyResult(self.count, broken_at, reason, self.plain, self.keyed,
                            self.unchecked, head_matched)


def _check(ev: AuditEvent, walk: _Walk, ring: Keyring) -> str:
    """Why this event breaks the chain, or "" if it holds."""
    ident = ev.key_id or ""
    if ev.prev_hash != walk.prev:
        return "link"
    if walk.last_key and not ident:
        return "downgrade"
    if ident and ident not in ring.keys:
        walk.unchecked += 1
        return ""
    key = ring.keys[ident] if ident else None
    if chain_hash(walk.prev, ev.seq, ev.at, ev.actor, ev.action, ev.subject, ev.data,
                  key) != ev.hash:
        return "hash"
    if ident:
        walk.keyed += 1
    else:
        walk.plain += 1
    return ""


async def verify(ring: Keyring | None = None, expect: Head | None = None) -> VerifyResult:
    """Walk the chain; report the first seq whose link or hash does not hold.

    With a key configured, a chain that ends in plain events fails ("unkeyed_tail"):
    `serve` seals a plain chain when it starts with a key, so only a rewrite leaves one.
    `expect` is a head kept outside the database; the chain must contain it.
    """
    ring = _keyring if ring is None else ring
    walk = _Walk()
    async for ev in iter_events():
        if ev.seq != walk.count + 1:
            return walk.result(walk.count + 1, "missing")
        reason = _check(ev, walk, ring)
        if reason:
            return walk.result(ev.seq, reason)
        walk.prev, walk.count, walk.last_key = ev.hash, ev.seq, ev.key_id or ""
        if expect is not None and ev.seq == expect.count:
            walk.hash_at[ev.seq] = ev.hash
    row = await AuditHead.get_or_none(id=1)
    if row is not None and (row.seq != walk.count or row.hash != walk.prev):
        return walk.result(walk.count + 1, "truncated")
    if ring.current and walk.count and not walk.last_key:
        return walk.result(walk.count, "unkeyed_tail")
    if expect is not None:
        matched = expect.count == 0 or walk.hash_at.get(expect.count) == expect.hash
        if not matched:
            return walk.result(min(expect.count, walk.count + 1), "head", head_matched=False)
        return walk.result(head_matched=True)
    return walk.result()
