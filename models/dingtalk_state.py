"""钉钉 channel state: the cards it delivered and each person's reply webhook.

Owned by bot/channels/dingtalk/; nothing else reads these tables.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class DingTalkCard(Model):
    """One interactive copy of a logical card (card_ref) sent to one recipient."""

    id = fields.BigIntField(primary_key=True)
    # our id for the card instance at DingTalk; fixed per outbox row so a retry reuses it
    out_track_id = fields.CharField(max_length=64, unique=True)
    outbox_id = fields.BigIntField(unique=True)
    card_ref = fields.CharField(max_length=128)
    user_id = fields.CharField(max_length=64)
    # the neutral button keys in template slot order; a callback names a slot
    button_keys: list[str] = fields.JSONField(default=list)
    delivered = fields.BooleanField(default=False)
    decided = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "dingtalk_card"
        indexes = (("card_ref", "user_id"),)


class DingTalkSession(Model):
    """The sessionWebhook of a person's latest single chat with the robot, while valid."""

    user_id = fields.CharField(max_length=64, primary_key=True)
    webhook = fields.CharField(max_length=1024)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "dingtalk_session"


class DingTalkSignature(Model):
    """A (timestamp, sign) pair an HTTP-mode callback was accepted under, with the event it
    carried. DingTalk's sign covers only the timestamp, not the body, so a second body
    under the same pair is refused; rows go once the pair is past its 1-hour validity."""

    id = fields.BigIntField(primary_key=True)
    pair = fields.CharField(max_length=64, unique=True)  # sha256(timestamp "\n" sign), hex
    event_id = fields.CharField(max_length=191)
    signed_at = fields.DatetimeField(db_index=True)  # the header's timestamp

    class Meta:
        table = "dingtalk_signature"
