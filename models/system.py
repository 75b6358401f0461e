"""Infrastructure tables: outbox, inbound dedupe, audit chain, simulator mailbox."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Outbox(Model):
    """A message waiting for delivery, written in the transaction that caused it."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    user_id = fields.CharField(max_length=64)
    payload: dict = fields.JSONField()
    status = fields.CharField(max_length=8, default="pending")  # pending | sent | failed
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # a sender that claimed the row owns it until then; after a crash another may retry
    locked_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=96, null=True)  # the sender holding the lease
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    # claim order across recipients: 0 cards, 1 answers and notices, 2 bulk (bot/outbox.py)
    priority = fields.SmallIntField(null=True, default=1)  # null only before 0012 ran

    class Meta:
        table = "outbox"
        indexes = (("status", "next_attempt_at"), ("channel", "user_id", "status"))


class InboundEvent(Model):
    """The inbox: every platform event, written before the platform gets its 200.

    The unique (channel, event id) key makes a platform retry a no-op. A callback's event
    arrives `pending` with what handling needs (`payload`); the pump (bot/inbox.py) claims
    it with a lease like the outbox's, and the dispatcher marks it `done` in the handler's
    transaction, so it is handled exactly once whichever replica gets it. Events the bot
    makes itself (join windows closing) are written `done` by the dispatcher directly.
    """

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    event_id = fields.CharField(max_length=191)
    received_at = fields.DatetimeField(auto_now_add=True)
    status = fields.CharField(max_length=8, default="done")  # pending | done | failed
    user_id = fields.CharField(max_length=64, default="")  # one sender's events in order
    payload: dict | None = fields.JSONField(null=True)  # the event until it is handled
    attempts = fields.IntField(default=0)
    # a pump that claimed the event owns it until then; after a crash another takes it
    locked_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=96, null=True)

    class Meta:
        table = "inbound_event"
        unique_together = (("channel", "event_id"),)
        indexes = (("status", "id"), ("channel", "user_id", "status"))


class AuditEvent(Model):
    """Append-only, hash-chained record of every state change (R-REV-5)."""

    seq = fields.BigIntField(primary_key=True, generated=False)
    at = fields.CharField(max_length=40)  # ISO-8601 UTC, hashed as stored
    actor = fields.CharField(max_length=64)
    action = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=128)
    data = fields.TextField()  # canonical JSON, hashed as stored
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)
    # which audit key's HMAC `hash` is; "" = plain SHA-256 (events from before a key).
    # Nullable only so a migration can add it to a full table; never NULL (backfilled).
    key_id = fields.CharField(max_length=16, null=True, default="")

    class Meta:
        table = "audit_event"
        # one subject's trail (a draft's events on its printed review record, R-REV-5)
        indexes = (("subject", "seq"),)


class AuditHead(Model):
    """One row: the chain's last seq and hash, locked while appending."""

    id = fields.IntField(primary_key=True, generated=False)
    seq = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64)
    key_id = fields.CharField(max_length=16, null=True, default="")  # the last event's key

    class Meta:
        table = "audit_head"


class SimMessage(Model):
    """The browser simulator's mailbox: what a demo person sees in their chat."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=64)
    direction = fields.CharField(max_length=3)  # in | out
    payload: dict = fields.JSONField()
    card_ref = fields.CharField(max_length=128, null=True)
    outbox_id = fields.BigIntField(null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sim_message"
        indexes = (("user_id", "id"), ("card_ref",))
