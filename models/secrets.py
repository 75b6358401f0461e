"""Keys the bot makes for itself and every replica shares (e.g. the link-signing key)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AppSecret(Model):
    """One named secret, made once (the setting link_secret overrides the key "links")."""

    name = fields.CharField(max_length=32, primary_key=True)
    value = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_secret"
