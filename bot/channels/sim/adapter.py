"""The browser simulator's adapter: its "platform" is the sim_message table.

What the bot sends lands there and the page (inbound.py) polls it. The outbox sender
delivers a batch here in the transaction that marks it sent (base.InDatabase), so each row
lands exactly once; one row at a time, delivery is idempotent per outbox row (its unique
`outbox_id`). It talks to no server, so it has no api.py; its page sits behind guard.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.channels.base import Accept, Session
from bot.channels.sim import NAME, cards, guard, inbound
from bot.clock import utcnow
from bot.config import Settings
from bot.db import insert_new
from bot.errors import ChannelAPIError, DomainError
from bot.events import Attachment, CardUpdate, IncomingEvent, Outgoing
from bot.media import Upload, load
from models.files import StoredFile
from models.system import SimMessage


def build(settings: Settings, *, accept: Accept, session: Session) -> SimChannel:
    """The simulator (it needs no HTTP session: its platform is our own database)."""
    return SimChannel(settings, accept=accept)


class SimChannel:
    """Delivers into the simulator mailbox; idempotent per outbox row. Files uploaded on the
    page are kept like any sent file; an attachment's ref is the stored file's id.

    Built without `accept` (tests, benches) it only delivers: it serves no routes."""

    name = NAME

    def __init__(self, settings: Settings | None = None, *,
                 accept: Accept | None = None) -> None:
        self.settings = settings or Settings()
        self.accept = accept

    # life cycle and inbound (Adapter protocol)

    def routes(self) -> list[web.RouteDef]:
        """The page, its API and its login; `/` leads to the page."""
        if self.accept is None:
            return []
        return [*guard.routes(self.settings.sim_token),
                *inbound.routes(self.accept, self.settings),
                web.get("/", _redirect_to_sim)]

    def middlewares(self) -> list[Middleware]:
        return [guard.middleware(self.settings.sim_token)]

    async def prepare(self, event: IncomingEvent) -> IncomingEvent | None:
        return event

    async def start(self) -> None:
        """Nothing to open: the page calls us."""

    async def close(self) -> None:
        """Nothing to close."""

    # outbound (Channel protocol)

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
        await _insert([_message(outbox_id, user_id, message)])

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        await SimMessage.filter(user_id=user_id, card_ref=update.card.card_ref).update(
            payload=cards.payload(update.card), updated_at=utcnow())

    async def deliver_all(self, items: Sequence[tuple[int, str, Outgoing | CardUpdate]]
                          ) -> None:
        """A batch in queue order, in the caller's transaction: the new messages in one
        insert; a card update changes the copies already in the mailbox and those of
        this batch (before they are inserted)."""
        new: list[SimMessage] = []
        for outbox_id, user_id, message in items:
            if isinstance(message, CardUpdate):
                payload = cards.payload(message.card)
                for queued in new:
                    if (queued.user_id, queued.card_ref) == (user_id, message.card.card_ref):
                        queued.payload = payload
                await self.update_card(user_id, message, outbox_id=outbox_id)
            else:
                new.append(_message(outbox_id, user_id, message))
        await _insert(new)


def _message(outbox_id: int, user_id: str, message: Outgoing) -> SimMessage:
    payload = cards.payload(message)
    return SimMessage(outbox_id=outbox_id, user_id=user_id, direction="out", payload=payload,
                      card_ref=payload.get("card_ref"))


async def _insert(messages: list[SimMessage]) -> None:
    """Insert, skipping any outbox row already in the mailbox (a delivery whose `sent`
    mark was lost to a crash): the unique outbox_id is the check, no read before; any
    other error is raised (bot.db.insert_new)."""
    await insert_new(SimMessage, messages, ("outbox_id",))


async def _redirect_to_sim(request: web.Request) -> web.Response:
    raise web.HTTPFound("/sim/")
