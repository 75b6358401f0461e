"""What every platform package provides: the Channel the outbox sender delivers through, and
the Adapter create_app wires (the same way for every platform, nonebot2-style).

Each package under bot/channels/ (wecom/, dingtalk/, sim/) has the same modules:
  adapter.py  the channel class (an Adapter) and `build(settings, *, accept, session)`
  inbound.py  callbacks verified and parsed into IncomingEvent, and their aiohttp routes
  cards.py    neutral OutgoingText/OutgoingCard -> the platform's message and card JSON
  api.py      the platform's HTTP API, its tokens and errcodes (a platform with a server)
Identity, the unknown-sender answer and dedupe are not here: the inbox and the dispatcher
do them once for every platform.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.events import Attachment, CardUpdate, IncomingEvent, Outgoing
from bot.inbox import BadEvent
from bot.media import Upload

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

Accept = Callable[[IncomingEvent], Awaitable[None]]  # Inbox.accept: returns once on disk
# the app's shared ClientSession; it exists once the app has started (http_ctx), so an
# adapter built before that asks for it when it calls out, never at build time
Session = Callable[[], aiohttp.ClientSession]


class Channel(Protocol):
    """An adapter: delivers neutral messages to one platform's user ids."""

    name: str

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        """Deliver one message; raise ChannelAPIError/ChannelNetworkError on failure."""

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        """Make every copy of update.card.card_ref this user holds show the update."""


@runtime_checkable
class Adapter(Channel, Protocol):
    """One platform as create_app wires it; every package's adapter class is one.

    Built by its package's `adapter.build(settings, accept=..., session=...)` with no I/O;
    create_app adds its routes and middlewares, hands its events to the inbox through
    `prepare`, starts it once the inbox takes events and closes it before the inbox stops.
    """

    def routes(self) -> Sequence[web.RouteDef]:
        """The HTTP routes its platform calls (none for a connection it opens itself)."""

    def middlewares(self) -> Sequence[Middleware]:
        """Middlewares guarding its routes (none for most platforms)."""

    async def prepare(self, event: IncomingEvent) -> IncomingEvent | None:
        """At handling time (the inbox pump): the platform's last word on a stored event
        it produced; None drops it. Most platforms return the event unchanged."""

    async def start(self) -> None:
        """Begin taking events (open a connection, register a callback); the inbox is open."""

    async def close(self) -> None:
        """Stop taking events; called before the inbox stops."""


class Build(Protocol):
    """The factory every package's adapter module exports as `build`."""

    def __call__(self, settings: Settings, *, accept: Accept, session: Session) -> Adapter:
        """The platform's adapter, built from settings without I/O."""


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
class InDatabase(Protocol):
    """Optional: a channel whose platform is our own database (the simulator's mailbox).

    The outbox sender calls `deliver_all` inside the transaction that marks the rows sent,
    so a batch is delivered exactly once, in fact, for one commit. It gets each row's
    (outbox id, user id, message) in queue order and must leave nothing half done: an
    error rolls the whole batch back (the rows are then sent one by one through `send` and
    `update_card`, which stay idempotent per outbox row).
    """

    async def deliver_all(self, items: Sequence[tuple[int, str, Outgoing | CardUpdate]]
                          ) -> None:
        """Deliver these messages in the caller's transaction."""


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
