"""What every channel adapter provides to the outbox sender."""

from __future__ import annotations

from typing import Protocol

from bot.events import CardUpdate, Outgoing


class Channel(Protocol):
    """An adapter: delivers neutral messages to one platform's user ids."""

    name: str

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        """Deliver one message; raise ChannelAPIError/ChannelNetworkError on failure."""

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        """Make every copy of update.card.card_ref this user holds show the update."""
