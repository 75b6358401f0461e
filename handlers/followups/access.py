"""Who may use the follow-up, duty and staff commands: their rows of the one
authorization table (handlers/common/authz.toml), checked by `authz.check`."""

from __future__ import annotations

from handlers.common.authz import check as allow

__all__ = ["allow"]
