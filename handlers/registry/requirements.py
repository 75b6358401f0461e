"""What the registry must carry for some kinds of account (R-ACC-11, R-ACC-12, R-ACC-13).

One check for a filing (the account as it will be) and for `查询` (the account as it is):
the approvers and the admins see the same gaps. The bot flags; people decide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.ledger import BY_KEY
from bot.policy import Policy
from bot.rendering import msg
from models.org import Account

WECHAT_ACCOUNTS = ("wechat_service", "wechat_subscription")  # 微信公众号 (003 Art.7(4))
APP = "app"
_SEPARATORS = re.compile(r"[、，,；;/\s]+")


def gaps(policy: Policy, platform: str, values: Mapping[str, Any]) -> list[str]:
    """The missing items, each a sentence naming its rule; values are by column key."""
    found = []
    menus = {m for m in _SEPARATORS.split(values.get("menus") or "") if m}
    missing = [m for m in policy.accounts.wechat_main_menus if m not in menus]
    if platform in WECHAT_ACCOUNTS and missing:  # R-ACC-11
        found.append(msg("accounts.gap_menus", missing=missing,
                         required=policy.accounts.wechat_main_menus))
    unsupported = [BY_KEY[k].label for k in policy.accounts.app_support
                   if values.get(k) is not True]
    if platform == APP and unsupported:  # R-ACC-12
        found.append(msg("accounts.gap_app_support", missing=unsupported))
    # R-ACC-13: every seed wants the agreement (000 Art.2, 001 Art.7, 002 Art.2,
    # 003 Art.14(3), 004 Art.14(8)), so it is not a profile choice
    if values.get("vendor") and not values.get("vendor_agreement_on"):
        found.append(msg("accounts.gap_vendor_agreement", vendor=values["vendor"]))
    return found


def current(account: Account) -> dict[str, Any]:
    """The account's own values by column key."""
    return {key: getattr(account, key, None) for key in BY_KEY}
