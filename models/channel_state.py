"""What the channel adapters remember between calls: card copies, delivery problems,
senders nobody knows. Neutral names; the platform meaning lives in bot/channels/."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class CardCopy(Model):
    """One delivered copy of a card to one person, and how to update it later.

    `platform_ref` is the platform's id for the copy (WeCom task_id), `update_code` is the
    single-use code that updates it (WeCom response_code) and `code_expires_at` its end.
    """

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    user_id = fields.CharField(max_length=64)
    card_ref = fields.CharField(max_length=128)
    platform_ref = fields.CharField(max_length=128, unique=True)
    outbox_id = fields.BigIntField()
    button_keys: list[str] = fields.JSONField(default=list)
    # the card's text part went out (a retry must not send it twice)
    body_sent = fields.BooleanField(default=False)
    sent = fields.BooleanField(default=False)
    update_code = fields.CharField(max_length=255, null=True)
    code_expires_at = fields.DatetimeField(null=True)
    # platform time of the callback that gave the code; an older replay never overwrites it
    code_event_time = fields.BigIntField(default=0)
    decided = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_copy"
        indexes = (("channel", "user_id", "card_ref"),)


class UnreachableRecipient(Model):
    """A platform said this user id does not exist or may not receive messages."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    user_id = fields.CharField(max_length=64)
    reason = fields.TextField(default="")
    count = fields.IntField(default=1)
    first_at = fields.DatetimeField(auto_now_add=True)
    last_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "unreachable_recipient"
        unique_together = (("channel", "user_id"),)


class UnknownSender(Model):
    """Someone wrote to the bot whose user id is not in the organisation file (for the admin)."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    user_id = fields.CharField(max_length=64)
    count = fields.IntField(default=1)
    first_at = fields.DatetimeField(auto_now_add=True)
    last_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "unknown_sender"
        unique_together = (("channel", "user_id"),)
