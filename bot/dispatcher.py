"""Routers, the dispatcher and the context every handler gets.

A handler runs inside one database transaction together with the record of the
inbound event, its outbox rows and its audit events: either all of it happens or
none of it does. A DomainError rolls the work back and answers the user.

What is the same on every platform lives here, once: the event is handled at most once
(its inbox row is marked done in the handler's transaction), the sender is looked up by
their channel user id, and someone who is not in the organisation gets one polite answer
and is recorded for the admin (unknown_sender), whichever app they wrote in.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot import audit, inbox, outbox
from bot.clock import utcnow
from bot.config import Settings
from bot.db import retry_deadlocks
from bot.errors import ChannelAPIError, ChannelNetworkError, DomainError
from bot.fixed import Fixed
from bot.events import (
    MADE_BY,
    UNSUPPORTED,
    CardUpdate,
    EventKind,
    IncomingEvent,
    Outgoing,
    OutgoingText,
    parse_button_key,
)
from bot.media import Upload
from bot.metrics import DUPLICATE, ERROR, HANDLED, REJECTED, Metrics
from bot.policy import Policy
from bot.rendering import msg, render
from models.channel_state import UnknownSender
from models.org import Person, event_rows, person_by_id, remember
from models.system import InboundEvent

log = logging.getLogger(__name__)
# an inbox event marked done in its handler's transaction (fixed SQL, issue 19)
_MARK_DONE: Fixed[int] = Fixed(
    lambda channel, event_id: InboundEvent.filter(
        channel=channel, event_id=event_id, status="pending").update(
        status="done", payload=None, locked_until=None, claimed_by=None),
    lambda channel, event_id: ["done", channel, event_id, "pending"])

Handler = Callable[[IncomingEvent, "HandlerContext"], Awaitable[None]]
# the bytes of an event's attachment, from the channel it came through
FetchMedia = Callable[[IncomingEvent], Awaitable[Upload]]
_SEPARATORS = re.compile(r"[\s:#]")
_RAW_SEPARATORS = " \t\u3000:："


def normalize(line: str) -> str:
    """Fold full-width punctuation and spaces (＃ ： 　) to half-width; collapse spaces."""
    return " ".join(unicodedata.normalize("NFKC", line).split())


@dataclass(frozen=True)
class Command:
    """A chat command split the way every handler needs it."""

    name: str
    args: str  # the rest of the first line, normalized, without the command word
    lines: tuple[str, ...]  # the following lines, as written
    # the rest of the first line as written (full-width punctuation kept): people's words,
    # such as a return reason, are recorded the way they wrote them
    raw_args: str = ""


def parse_command(text: str, names: Iterable[str]) -> Command | None:
    first, *rest = text.strip().splitlines() or [""]
    head = normalize(first)
    for name in sorted(names, key=len, reverse=True):
        if head == name or (head.startswith(name) and _SEPARATORS.match(head[len(name)])):
            args = head[len(name):].lstrip(" :")
            # command words are CJK, which NFKC leaves alone: the name starts `first` too
            raw = first.strip()[len(name):].lstrip(_RAW_SEPARATORS)
            return Command(name=name, args=args.strip(), lines=tuple(rest), raw_args=raw.strip())
    return None


@dataclass
class HandlerContext:
    """What a handler may do: read settings and policy, find the person, say things."""

    event: IncomingEvent
    settings: Settings
    policy: Policy
    command: Command | None = None
    args: list[str] = field(default_factory=list)
    person: Person | None = None
    queued: int = 0
    metrics: Metrics = field(default_factory=Metrics)
    committed: list[Callable[[], None]] = field(default_factory=list)
    upload: Upload | None = None  # the fetched attachment of the event, if it had one
    # whom the audit chain names as acting: the sender, unless the handler of an event the
    # bot made itself says it acts (e.g. "scheduler")
    actor: str = ""

    async def reply(self, message: Outgoing) -> None:
        """Answer the person who sent the event, on the channel it came from."""
        await outbox.enqueue(self.event.channel, self.event.user.user_id, message)
        self.queued += 1

    async def notify(self, who: str | Person, message: Outgoing | CardUpdate) -> None:
        """Tell a person (by org id, or the Person already read), on the office's main
        channel."""
        channel = self.settings.channel
        person = who if isinstance(who, Person) else await person_by_id(who)
        address = person.address(channel) if person else str(who)
        await outbox.enqueue(channel, address, message)
        self.queued += 1

    async def say(self, who: str | Person, message: Outgoing | CardUpdate) -> None:
        """Reply when `who` (an org id or a Person) is the sender, notify otherwise."""
        sender = self.person.id if self.person else None
        person_id = who.id if isinstance(who, Person) else who
        if person_id == sender and not isinstance(message, CardUpdate):
            await self.reply(message)
        else:
            await self.notify(who, message)

    async def audit(self, action: str, subject: str, **data: Any) -> None:
        await audit.append(self.actor or self.event.user.user_id, action, subject, data)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run callback once the handler's transaction has committed (e.g. metrics)."""
        self.committed.append(callback)

    def require_person(self) -> Person:
        if self.person is None:
            raise DomainError("common.unknown_person", user_id=self.event.user.user_id)
        return self.person

    @staticmethod
    def text(key: str, /, **ctx: Any) -> OutgoingText:
        return OutgoingText(msg(key, **ctx))

    @staticmethod
    def render(name: str, /, **ctx: Any) -> str:
        return render(name, **ctx)


@dataclass(frozen=True)
class _Route:
    kind: EventKind
    name: str
    handler: Handler


class Router:
    """A named group of handlers: chat commands and card actions."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[_Route] = []

    def command(self, name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(_Route(EventKind.MESSAGE, name, handler))
            return handler
        return register

    def action(self, verb: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(_Route(EventKind.CARD_ACTION, verb, handler))
            return handler
        return register

    def attachment(self) -> Callable[[Handler], Handler]:
        """The handler of messages that carry a file or a picture (one in all routers)."""
        def register(handler: Handler) -> Handler:
            self.routes.append(_Route(EventKind.MESSAGE, ATTACHMENT, handler))
            return handler
        return register

    def otherwise(self) -> Callable[[Handler], Handler]:
        """The handler of text that is no command: an answer the bot asked for, the rest of
        a draft. It raises unknown_command() when the text is neither (one in all routers)."""
        def register(handler: Handler) -> Handler:
            self.routes.append(_Route(EventKind.MESSAGE, OTHERWISE, handler))
            return handler
        return register


ATTACHMENT = "\x00attachment"  # route names no chat command can match
OTHERWISE = "\x00otherwise"


def unknown_command(text: str) -> DomainError:
    return DomainError("common.unknown_command", head=normalize(text.splitlines()[0])[:20])


class Dispatcher:
    """Feeds each event to the first matching handler, exactly once per event id."""

    def __init__(self, settings: Settings, policy: Policy,
                 on_commit: Callable[[], None] = lambda: None,
                 metrics: Metrics | None = None, fetch_media: FetchMedia | None = None) -> None:
        self.settings = settings
        self.policy = policy
        self.on_commit = on_commit
        self.metrics = metrics or Metrics()
        self.fetch_media = fetch_media
        self.commands: dict[str, Handler] = {}
        self.actions: dict[str, Handler] = {}
        self.special: dict[str, Handler] = {}  # ATTACHMENT, OTHERWISE

    def include_routers(self, *routers: Router) -> None:
        for router in routers:
            for route in router.routes:
                table = self.commands if route.kind is EventKind.MESSAGE else self.actions
                if route.name in (ATTACHMENT, OTHERWISE):
                    table = self.special
                if route.name in table:
                    raise ValueError(f"duplicate route {route.name!r} in {router.name}")
                table[route.name] = route.handler

    async def feed(self, event: IncomingEvent) -> bool:
        """Handle one event; False if it was a duplicate and nothing was done."""
        outcome = await self._outcome(event)
        self.metrics.inbound_events.labels(channel=event.channel, outcome=outcome).inc()
        if outcome == DUPLICATE:
            log.info("duplicate event %s/%s ignored", event.channel, event.event_id,
                     extra=_log_extra(event))
            return False
        self.on_commit()
        return True

    async def _outcome(self, event: IncomingEvent) -> str:
        upload = None
        try:
            person = await Person.by_address(event.channel, event.user.user_id)
            if person is None:
                return await self._unknown_sender(event)
            if event.attachment is not None:
                upload = await self._fetch(event)
                if upload is None:
                    return DUPLICATE
            ctx = await self._run(event, self._route(event), person, upload)
        except _Duplicate:
            return DUPLICATE
        except DomainError as exc:
            if event.payload.get(MADE_BY):
                log.warning("%s event %s refused: %s", event.payload[MADE_BY], event.event_id,
                            exc.key, extra=_log_extra(event))
                return REJECTED
            return await self._answer_only(event, OutgoingText(exc.text()), REJECTED)
        except Exception:
            log.exception("handler failed for %s event %s", event.channel, event.event_id,
                          extra=_log_extra(event))
            if event.payload.get(MADE_BY):
                return ERROR  # its maker feeds it again; the person did nothing to be told
            return await self._answer_only(event, OutgoingText(msg("common.internal_error",
                                                                   event_id=event.event_id)),
                                           ERROR)
        for callback in ctx.committed:
            callback()
        return HANDLED

    async def _fetch(self, event: IncomingEvent) -> Upload | None:
        """The attachment's bytes, fetched before the handler's transaction (the platform is
        slow); None for an event already handled; DomainError when it cannot be had."""
        if await InboundEvent.exists(channel=event.channel, event_id=event.event_id,
                                     status="done"):
            return None
        if self.fetch_media is None:
            raise DomainError("draft.files_unsupported")
        try:
            return await self.fetch_media(event)
        except (ChannelAPIError, ChannelNetworkError) as exc:
            log.warning("fetching the attachment of %s event %s failed: %s", event.channel,
                        event.event_id, exc, extra=_log_extra(event))
            raise DomainError("draft.fetch_failed") from None

    def _route(self, event: IncomingEvent) -> tuple[Handler, Command | None, list[str]]:
        if event.payload.get(UNSUPPORTED):
            return _raiser(DomainError("common.unsupported_message")), None, []
        if event.attachment is not None:
            handler = self.special.get(ATTACHMENT)
            return handler or _raiser(DomainError("draft.files_unsupported")), None, []
        if event.kind is EventKind.CARD_ACTION:
            verb, args = parse_button_key(event.action)
            if verb not in self.actions:
                raise_later = _raiser(DomainError("review.stale_card"))
                return raise_later, None, []
            return self.actions[verb], None, args
        text = event.text.strip()
        if not text:
            return _raiser(DomainError("common.empty_message")), None, []
        if len(text) > self.settings.max_message_chars:
            return _raiser(DomainError("common.too_long", limit=self.settings.max_message_chars,
                                       size=len(text))), None, []
        command = parse_command(text, self.commands)
        if command is None:
            otherwise = self.special.get(OTHERWISE)
            return otherwise or _raiser(unknown_command(text)), None, []
        return self.commands[command.name], command, []

    async def _run(self, event: IncomingEvent,
                   route: tuple[Handler, Command | None, list[str]], person: Person,
                   upload: Upload | None = None) -> HandlerContext:
        """The handler in one transaction; run again when the database rolled it back as a
        deadlock victim (handlers touch nothing outside the transaction)."""
        def victim(attempt: int) -> None:
            log.info("%s event %s: deadlock victim, attempt %d", event.channel,
                     event.event_id, attempt, extra=_log_extra(event))

        return await retry_deadlocks(lambda: self._run_once(event, route, person, upload),
                                     victim)

    async def _run_once(self, event: IncomingEvent,
                        route: tuple[Handler, Command | None, list[str]], person: Person,
                        upload: Upload | None) -> HandlerContext:
        handler, command, args = route
        # the event's rows are read once (event_rows); its audit events and outbox rows are
        # written together at the end, inside the same transaction
        async with in_transaction(), audit.deferred(), outbox.deferred():
            await self._record(event)
            ctx = HandlerContext(event, self.settings, self.policy, command, args, person,
                                 metrics=self.metrics, upload=upload)
            with event_rows():
                remember(person)
                await handler(event, ctx)
        return ctx

    async def _record(self, event: IncomingEvent) -> None:
        """Mark the event handled, first in its transaction; _Duplicate if it already was.

        An event the inbox pump hands over is pending there: the one transaction that flips
        it to done wins (on a server database a concurrent attempt waits for the row, then
        finds it done). Any other event (one the bot made itself, a join window closing)
        gets its row here, and the unique key refuses a second. Either is one statement,
        on a row that exists or a plain insert: an UPDATE that found no row would take a
        gap lock on MySQL, and two such transactions inserting into the gap deadlock."""
        if inbox.handing(event):
            if await _MARK_DONE(event.channel, event.event_id):
                return
            raise _Duplicate  # another transaction marked it first
        try:
            await InboundEvent.create(channel=event.channel, event_id=event.event_id,
                                      user_id=event.user.user_id[:64])
        except IntegrityError:
            raise _Duplicate from None

    async def _unknown_sender(self, event: IncomingEvent) -> str:
        """Someone the organisation file does not know: one answer, recorded for the admin,
        in one transaction with the event's record (a retry neither answers nor counts)."""
        user_id = event.user.user_id
        log.warning("%s: event %s from unknown user id %s", event.channel, event.event_id,
                    user_id, extra=_log_extra(event))
        try:
            async with in_transaction():
                await self._record(event)
                await outbox.enqueue(event.channel, user_id,
                                     OutgoingText(msg("common.unknown_sender", user_id=user_id)))
                await _count_unknown(event.channel, user_id)
        except _Duplicate:
            return DUPLICATE
        return REJECTED

    async def _answer_only(self, event: IncomingEvent, message: Outgoing, outcome: str) -> str:
        """Record the event and send one reply, changing nothing else; the outcome."""
        try:
            async with in_transaction():
                await self._record(event)
                await outbox.enqueue(event.channel, event.user.user_id, message)
        except _Duplicate:
            return DUPLICATE
        return outcome


class _Duplicate(Exception):
    pass


async def _count_unknown(channel: str, user_id: str) -> None:
    key: dict[str, Any] = {"channel": channel, "user_id": user_id[:64]}
    # a plain read first (as in _record): an UPDATE that finds no row takes a gap lock on
    # MySQL, and two first messages from different strangers then deadlock on their INSERTs
    if await UnknownSender.exists(**key) and await UnknownSender.filter(**key).update(
            count=F("count") + 1, last_at=utcnow()):
        return
    try:
        async with in_transaction():  # a savepoint: a concurrent first message may win
            await UnknownSender.create(**key)
    except IntegrityError:
        await UnknownSender.filter(**key).update(count=F("count") + 1, last_at=utcnow())


def _log_extra(event: IncomingEvent) -> dict[str, str]:
    """Structured log fields (JSON logs show them): never the text of the event."""
    return {"platform": event.channel, "event_id": event.event_id}


def _raiser(exc: Exception) -> Handler:
    async def handler(event: IncomingEvent, ctx: HandlerContext) -> None:
        raise exc
    return handler

