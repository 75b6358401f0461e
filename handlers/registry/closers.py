"""The command that records each follow-up done, named wherever the follow-up is shown
(reminders, 待办, 查询, the follow-up card). Imports nothing of the handlers, so the
reminder kinds can use it without a cycle."""

from __future__ import annotations

from bot.rendering import msg

# the command that closes each follow-up kind (R-ACC-2, R-ACC-3, R-ACC-4, R-SEC-3)
CLOSERS = {"announce": "已公告", "platform_change": "已操作", "report_change": "已报备",
           "password_change": "已改密"}
_HINTS = {"announce": "followup.close_announce",
          "platform_change": "followup.close_platform_change",
          "report_change": "followup.close_report_change"}


def close_hint(kind: str, subject: str, account: str = "") -> str:
    """The command that records a follow-up done, e.g. “已公告 #12 网址”."""
    if kind == "password_change":
        return msg("followup.close_password", account=account)
    number = subject.split(":", 1)[1] if subject.startswith("filing:") else ""
    return msg(_HINTS[kind], id=number) if kind in _HINTS and number else ""
