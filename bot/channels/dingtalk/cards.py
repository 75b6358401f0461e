"""钉钉: neutral outgoing messages as robot messages and interactive-card variables.

The interactive card is the template in deploy/dingtalk/approval_card.json; where no
template can carry a card it goes as markdown that ends with the commands to type.
"""

from __future__ import annotations

from typing import Any

from bot.events import Button, OutgoingCard, OutgoingText
from bot.rendering import msg, render

TEMPLATE_BUTTON_SLOTS = 2  # deploy/dingtalk/approval_card.json has btn0 and btn1
TITLE_CHARS = 40


def slotted(card: OutgoingCard) -> tuple[Button, ...]:
    """The buttons the template's slots carry: the main ones (a secondary move such as
    转交 is listed as its command instead)."""
    return tuple(b for b in card.buttons if not b.secondary)


def card_markdown(card: OutgoingCard, *, commands: bool) -> str:
    """The card as markdown; commands: every button's command (no template carries it),
    otherwise only those of the secondary moves the template has no slot for."""
    typed = [b.command for b in card.buttons if b.command] if commands else []
    more = [] if commands else [b.command for b in card.buttons if b.secondary and b.command]
    return render("dingtalk/card.md.j2", card=card, commands=typed, more=more)


def card_params(card: OutgoingCard) -> dict[str, str]:
    """The template variables (all strings, as DingTalk requires)."""
    buttons = slotted(card)
    params = {"title": card.title, "markdown": card_markdown(card, commands=False),
              "status": card.status, "decided": "true" if not buttons else "false"}
    for slot in range(TEMPLATE_BUTTON_SLOTS):
        button = buttons[slot] if slot < len(buttons) else None
        params[f"btn{slot}_label"] = button.label if button else ""
        params[f"btn{slot}_style"] = button.style if button else ""
    return params


def _title(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first.lstrip("#* ")[:TITLE_CHARS] or msg("dingtalk.default_title")


def webhook_body(message: OutgoingText) -> dict[str, Any]:
    if message.markdown:
        return {"msgtype": "markdown",
                "markdown": {"title": _title(message.text), "text": message.text}}
    return {"msgtype": "text", "text": {"content": message.text}}


def robot_msg(message: OutgoingText) -> tuple[str, dict[str, str]]:
    """msgKey and msgParam for the robot OpenAPI sends."""
    if message.markdown:
        return "sampleMarkdown", {"title": _title(message.text), "text": message.text}
    return "sampleText", {"content": message.text}


def file_msg(name: str, media_id: str) -> tuple[str, dict[str, str]]:
    """The robot's file message: msgKey sampleFile, msgParam mediaId/fileName/fileType."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return "sampleFile", {"mediaId": media_id, "fileName": name, "fileType": suffix}



def as_markdown(card: OutgoingCard) -> OutgoingText:
    """A card where no interactive template can carry it: markdown with the typed commands."""
    return OutgoingText(f"### {card.title}\n\n{card_markdown(card, commands=True)}",
                        markdown=True)

