"""Hash-chained audit log: append inside the caller's transaction, verify on demand."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.clock import utcnow
from models.system import AuditEvent, AuditHead

GENESIS = "0" * 64
BATCH = 500


def canonical(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(prev: str, seq: int, at: str, actor: str, action: str, subject: str,
               data: str) -> str:
    material = "\x1f".join([prev, str(seq), at, actor, action, subject, data])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


async def _locked_head() -> AuditHead:
    head = await AuditHead.select_for_update().get_or_none(id=1)
    if head is None:
        await AuditHead.get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS})
        head = await AuditHead.select_for_update().get(id=1)
    return head


async def append(actor: str, action: str, subject: str, data: Mapping[str, Any]) -> AuditEvent:
    """Append one event; call inside the transaction of the change it records."""
    head = await _locked_head()
    seq = head.seq + 1
    at = utcnow().isoformat(timespec="microseconds")
    body = canonical(data)
    digest = chain_hash(head.hash, seq, at, actor, action, subject, body)
    event = await AuditEvent.create(seq=seq, at=at, actor=actor, action=action,
                                    subject=subject, data=body, prev_hash=head.hash, hash=digest)
    head.seq, head.hash = seq, digest
    await head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class VerifyResult:
    count: int
    broken_at: int | None = None
    reason: str = ""

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


async def verify() -> VerifyResult:
    """Walk the chain; report the first seq whose link or hash does not hold."""
    prev, expected_seq, count = GENESIS, 1, 0
    async for ev in iter_events():
        if ev.seq != expected_seq:
            return VerifyResult(count, expected_seq, "missing")
        if ev.prev_hash != prev:
            return VerifyResult(count, ev.seq, "link")
        if chain_hash(prev, ev.seq, ev.at, ev.actor, ev.action, ev.subject, ev.data) != ev.hash:
            return VerifyResult(count, ev.seq, "hash")
        prev, expected_seq, count = ev.hash, expected_seq + 1, count + 1
    head = await AuditHead.get_or_none(id=1)
    if head is not None and (head.seq != count or head.hash != prev):
        return VerifyResult(count, count + 1, "truncated")
    return VerifyResult(count)
