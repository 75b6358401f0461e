"""The channel boundary: one normalized event in, one Text or Card out. Pure data."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

# IncomingEvent.payload key a channel sets on a message kind it cannot read (voice, video);
# the value names the kind. The core answers it the same way on every platform.
UNSUPPORTED = "unsupported"
# IncomingEvent.payload key on an event the bot makes itself (the value names its maker,
# e.g. the scheduler): nobody sent it, so a failure is logged and tried again by its maker,
# not answered in chat.
MADE_BY = "made_by"


class EventKind(enum.StrEnum):
    MESSAGE = "message"
    CARD_ACTION = "card_action"


@dataclass(frozen=True)
class UserRef:
    """A person as the platform knows them: the channel and the platform user id."""

    channel: str
    user_id: str


@dataclass(frozen=True)
class Attachment:
    """A file or picture in a message; the channel that received it fetches its bytes."""

    kind: str  # "file" | "image"
    ref: str  # the platform's handle: WeCom MediaId, DingTalk downloadCode, sim file id
    name: str = ""  # the file name the sender gave, if the platform says


@dataclass(frozen=True)
class IncomingEvent:
    channel: str
    kind: EventKind
    event_id: str
    user: UserRef
    received_at: datetime
    text: str = ""
    chat_id: str = ""
    # button key of a card action: "<verb>:<arg>:<arg>…", built by handlers (see ButtonKey)
    action: str = ""
    payload: Mapping[str, str] = field(default_factory=dict)
    attachment: Attachment | None = None
    raw: Any = None


def event_to_dict(event: IncomingEvent) -> dict[str, Any]:
    """What the inbox stores to handle the event later (`raw` is not kept)."""
    data: dict[str, Any] = {
        "channel": event.channel, "kind": event.kind.value, "event_id": event.event_id,
        "user": event.user.user_id, "received_at": event.received_at.isoformat(),
        "text": event.text, "chat_id": event.chat_id, "action": event.action,
        "payload": dict(event.payload),
    }
    if event.attachment is not None:
        a = event.attachment
        data["attachment"] = {"kind": a.kind, "ref": a.ref, "name": a.name}
    return data


def event_from_dict(data: Mapping[str, Any]) -> IncomingEvent:
    """Inverse of event_to_dict()."""
    attachment = data.get("attachment")
    return IncomingEvent(
        channel=data["channel"], kind=EventKind(data["kind"]), event_id=data["event_id"],
        user=UserRef(data["channel"], data["user"]),
        received_at=datetime.fromisoformat(data["received_at"]), text=data.get("text", ""),
        chat_id=data.get("chat_id", ""), action=data.get("action", ""),
        payload=dict(data.get("payload") or {}),
        attachment=Attachment(**attachment) if attachment else None)


@dataclass(frozen=True)
class Button:
    key: str
    label: str
    style: str = "primary"  # primary | danger | default
    # the chat command that does the same, for channels that cannot deliver a tap
    command: str = ""
    # a further move (转交 on the review card): a platform whose card has room only for the
    # main buttons lists its command instead of dropping the card's buttons altogether
    secondary: bool = False


def _button_dict(button: Button) -> dict[str, Any]:
    """A button as the outbox stores it. `secondary` only when set: the release before it
    read buttons with Button(**b), and a rolling deploy or a rollback runs that reader on
    rows this one wrote."""
    data: dict[str, Any] = {"key": button.key, "label": button.label, "style": button.style,
                            "command": button.command}
    if button.secondary:
        data["secondary"] = True
    return data


def _button_from_dict(data: Mapping[str, Any]) -> Button:
    """Inverse of _button_dict(); keys this release does not know (written by a later
    one) are ignored."""
    known = {f.name for f in dataclass_fields(Button)}
    return Button(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class OutgoingText:
    text: str
    markdown: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text, "markdown": self.markdown}


# the most buttons a handler puts on one card: the fewest any adapter can show as buttons
# (WeCom's button_interaction card, bot/channels/wecom/cards.py); more would be cut off
CARD_MAX_BUTTONS = 6


@dataclass(frozen=True)
class OutgoingCard:
    """A neutral card; only an adapter turns it into a platform card.

    card_ref names every copy of one logical card so that a later update can reach
    them all (e.g. "review-12-2-1" for draft 12, level 2, version 1).
    """

    title: str
    body_md: str
    card_ref: str
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    status: str = ""
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "card",
            "title": self.title,
            "body_md": self.body_md,
            "card_ref": self.card_ref,
            "fields": [list(f) for f in self.fields],
            "buttons": [_button_dict(b) for b in self.buttons],
            "status": self.status,
            "url": self.url,
        }


@dataclass(frozen=True)
class OutgoingFile:
    """A file the bot made for someone (a review record, a report). The bytes are in the
    file store (models.files.StoredFile, by file_id; bot.media.load) for an adapter to
    deliver: an upload and a file message on WeCom and DingTalk, a download link in the
    simulator."""

    file_id: int
    name: str
    size: int
    content_type: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": "file", "file_id": self.file_id, "name": self.name, "size": self.size,
                "content_type": self.content_type}


Outgoing = OutgoingText | OutgoingCard | OutgoingFile


def outgoing_from_dict(data: Mapping[str, Any]) -> Outgoing:
    """Inverse of to_dict(), used by the outbox sender."""
    if data["type"] == "text":
        return OutgoingText(text=data["text"], markdown=data.get("markdown", False))
    if data["type"] == "file":
        return OutgoingFile(file_id=data["file_id"], name=data["name"], size=data["size"],
                            content_type=data["content_type"])
    return OutgoingCard(
        title=data["title"],
        body_md=data["body_md"],
        card_ref=data["card_ref"],
        fields=tuple((k, v) for k, v in data.get("fields", [])),
        buttons=tuple(_button_from_dict(b) for b in data.get("buttons", [])),
        status=data.get("status", ""),
        url=data.get("url", ""),
    )


@dataclass(frozen=True)
class CardUpdate:
    """Replace every copy of a card (by card_ref) with a decided, button-less version."""

    card: OutgoingCard

    def to_dict(self) -> dict[str, Any]:
        return {"type": "card_update", "card": self.card.to_dict()}


def button_key(verb: str, *args: object) -> str:
    return ":".join([verb, *(str(a) for a in args)])


def parse_button_key(key: str) -> tuple[str, list[str]]:
    verb, *args = key.split(":")
    return verb, args
