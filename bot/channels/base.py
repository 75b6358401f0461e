"""What every channel adapter provides to the outbox sender."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from aiohttp import web

from bot.events import Attachment, CardUpdate, IncomingEvent, Outgoing
from bot.inbox import BadEvent
from bot.media import Upload

log = logging.getLogger(__name__)


class Channel(Protocol):
    """An adapter: delivers neutral messages to one platform's user ids."""

    name: str

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        """Deliver one message; raise ChannelAPIError/ChannelNetworkError on failure."""

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        """Make every copy of update.card.card_ref this user holds show the update."""


@runtime_checkable
class Paced(Protocol):
    """Optional: a channel whose platform drops messages beyond a per-recipient rate.

    The outbox never sends more than `count` rows to one user id within `seconds`, for
    each pair the channel returns (a channel that sends one row as several platform
    messages states its limits in rows).
    """

    def pace_limits(self, user_id: str) -> Sequence[tuple[int, float]]:
        """(count, seconds) limits for this recipient; empty for none."""


@runtime_checkable
class MediaSource(Protocol):
    """Optional: a channel whose messages can carry files and pictures."""

    async def fetch_media(self, attachment: Attachment, max_bytes: int) -> Upload:
        """The bytes of an attachment it received; DomainError if larger than max_bytes,
        ChannelAPIError/ChannelNetworkError if the platform would not give them."""


async def take(accept: Callable[[IncomingEvent], Awaitable[Any]], event: IncomingEvent) -> None:
    """Store an inbound event in the inbox; return only once it is on disk. An event that can
    never be stored is a 400, one not stored now a 503 (the platform or page retries)."""
    try:
        await accept(event)
    except BadEvent as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    except Exception as exc:
        log.warning("%s: event %s not stored (%s)", event.channel, event.event_id,
                    type(exc).__name__)
        raise web.HTTPServiceUnavailable() from None
