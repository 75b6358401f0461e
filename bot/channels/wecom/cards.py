"""企业微信 / 政务微信: neutral outgoing messages as WeCom message bodies.

Cards become `button_interaction` template cards (doc 90236); text and markdown are
clipped to what message/send takes. Only the adapter calls these.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.events import OutgoingCard
from bot.rendering import msg

TEXT_MAX_BYTES = 2048  # message/send text and markdown content
# longer than the default outbox lease (a crashed sender's rows are retried after it),
# short enough that a person asking the same thing twice soon gets the answer twice
DUPLICATE_CHECK_SECONDS = 120
TASK_ID_MAX = 128
CODE_LIFETIME = timedelta(hours=72)  # response_code: single use, 72 h (doc 94945)
BUTTON_STYLES = {"primary": 1, "danger": 2, "default": 3}
_TASK_ID_BAD = re.compile(r"[^0-9A-Za-z_\-@]")


def clip_bytes(text: str, limit: int) -> str:
    """Cut text to at most `limit` UTF-8 bytes, marking the cut."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    mark = msg("wecom.truncated")
    return raw[: limit - len(mark.encode())].decode(errors="ignore") + mark


def task_id_for(card_ref: str, outbox_id: int) -> str:
    """Unique per delivered copy; only the characters and length WeCom allows."""
    suffix = f"-o{outbox_id}"
    return _TASK_ID_BAD.sub("_", card_ref)[: TASK_ID_MAX - len(suffix)] + suffix


# button_interaction's button_list takes at most six (the neutral cards keep within it:
# bot.events.CARD_MAX_BUTTONS)
MAX_BUTTONS = 6


def template_card(card: OutgoingCard, task_id: str) -> dict[str, Any]:
    """A neutral card as a `button_interaction` template card (doc 90236)."""
    body: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": card.title[:36]},
        "sub_title_text": msg("wecom.card_body_above"),
        "horizontal_content_list": [{"keyname": k[:5], "value": v[:30]}
                                    for k, v in card.fields[:6]],
        "task_id": task_id,
        "button_list": [{"text": b.label, "style": BUTTON_STYLES.get(b.style, 1), "key": b.key}
                        for b in card.buttons[:MAX_BUTTONS]],
    }
    if card.url:
        body["jump_list"] = [{"type": 1, "title": msg("wecom.card_open"), "url": card.url}]
    return body


def card_text(card: OutgoingCard) -> str:
    parts = [f"**{card.title}**", card.body_md, card.status]
    return "\n\n".join(p for p in parts if p)


def text_body(text: str, *, markdown: bool) -> dict[str, Any]:
    kind = "markdown" if markdown else "text"
    # A sender that dies between sending and recording the send retries the row after
    # its lease; the platform's duplicate check then drops the repeat (message/send doc).
    return {"msgtype": kind, kind: {"content": clip_bytes(text, TEXT_MAX_BYTES)},
            "enable_duplicate_check": 1, "duplicate_check_interval": DUPLICATE_CHECK_SECONDS}

