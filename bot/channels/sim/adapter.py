"""The browser simulator's adapter: its "platform" is the sim_message table.

What the bot sends lands there and the page (inbound.py) polls it; delivery is
idempotent per outbox row.
"""

from __future__ import annotations

from bot.channels.sim import NAME
from bot.clock import utcnow
from bot.config import Settings
from bot.errors import ChannelAPIError, DomainError
from bot.events import Attachment, CardUpdate, Outgoing
from bot.media import Upload, load
from models.files import StoredFile
from models.system import SimMessage


class SimChannel:
    """Delivers into the simulator mailbox; idempotent per outbox row. Files uploaded on the
    page are kept like any sent file; an attachment's ref is the stored file's id."""

    name = NAME

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    async def fetch_media(self, attachment: Attachment, max_bytes: int) -> Upload:
        file = await StoredFile.get_or_none(id=int(attachment.ref)) \
            if attachment.ref.isdigit() else None
        if file is None:
            raise ChannelAPIError(404, f"no uploaded file {attachment.ref}", retryable=False)
        if file.size > max_bytes:
            raise DomainError("draft.file_too_big", limit=round(max_bytes / 1024 / 1024),
                              size=round(file.size / 1024 / 1024, 1))
        return Upload(file.name, await load(self.settings, file))

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        payload = message.to_dict()
        await SimMessage.get_or_create(
            outbox_id=outbox_id,
            defaults={"user_id": user_id, "direction": "out", "payload": payload,
                      "card_ref": payload.get("card_ref")},
        )

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        await SimMessage.filter(user_id=user_id, card_ref=update.card.card_ref).update(
            payload=update.card.to_dict(), updated_at=utcnow())
