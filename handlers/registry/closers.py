"""How a follow-up (a Deadline row) is shown wherever it appears (reminders, 待办, 查询, the
approval reply, the follow-up card, the board): its title, and the command that records it
done. Imports only handlers.common, so the reminder kinds and reports use it without a cycle."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypedDict

from bot.rendering import msg
from handlers.common.lookup import account_text
from models.deadlines import Deadline
from models.org import Account

log = logging.getLogger(__name__)
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


def title_data(account: Account, **parts: object) -> dict[str, object]:
    """What a follow-up's title is made of, stored in Deadline.title_data: the account by
    name and platform key, and the parts its kind's message takes (id, places, filing_kind,
    days, names)."""
    return {"name": account.name, "platform": account.platform, **parts}


# the rows whose data would not render, warned about once each (kind, stored title)
_unrenderable: set[tuple[str, str]] = set()


def deadline_title(kind: str, data: Mapping[str, Any] | None, stored: str) -> str:
    """A follow-up's title, rendered now by the message `deadline.<kind>` from its data;
    a row written before migration 0018 has no data and shows the title it stored, and so
    does a row whose data no longer renders (one bad row must not stop the reminder scan,
    the board or 待办)."""
    if data is None:
        return stored
    try:
        return _render(kind, data)
    except Exception:
        if (kind, stored) not in _unrenderable:
            _unrenderable.add((kind, stored))
            log.warning("deadline title of kind %s does not render from its data; "
                        "showing the stored title", kind, exc_info=True)
        return stored


def _render(kind: str, data: Mapping[str, Any]) -> str:
    ctx = {key: value for key, value in data.items() if key not in ("name", "platform")}
    ctx["account"] = account_text(data["name"], data["platform"])
    if "filing_kind" in ctx:
        ctx["action"] = msg(f"filing.kind_{ctx.pop('filing_kind')}")
    return msg(f"deadline.{kind}", **ctx)


def title_of(row: Deadline) -> str:
    """deadline_title for a row read through the ORM."""
    return deadline_title(row.kind, row.title_data, row.title)


class TitleFields(TypedDict):
    title_data: dict[str, object]
    title: str


def titled(kind: str, account: Account, **parts: object) -> TitleFields:
    """The title fields of a new Deadline row: its data, and the same title rendered now
    (what rows before 0018 and an older release read)."""
    data = title_data(account, **parts)
    return {"title_data": data, "title": _render(kind, data)}  # a new row must render
