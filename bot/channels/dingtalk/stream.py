"""钉钉 Stream mode: the official dingtalk-stream client, with its 0.24 quirks handled.

No public callback URL is needed: the bot opens a WebSocket to DingTalk's gateway and
receives robot messages and card callbacks as frames (PROTOCOLS.md §7). The SDK parses
frames, routes them to our handlers and writes the ACK frames. Its own start() loop is not
used, because in 0.24.3
  - open_connection() calls requests.post inside the event loop (it blocks the bot, has no
    timeout, and reads its URL from DINGTALK_OPENAPI_ENDPOINT frozen at import time), and
  - start() swallows CancelledError and reconnects forever, so SIGTERM could not stop it.
StreamClient.run() opens the connection over aiohttp at settings.dingtalk_api_base with the
SDK's request body, reconnects with backoff after a dropped socket, and ends when cancelled.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import websockets
from dingtalk_stream import (
    AckMessage,
    CallbackHandler,
    CallbackMessage,
    ChatbotMessage,
    Credential,
    DingTalkStreamClient,
)
from dingtalk_stream.version import VERSION_STRING

from bot.channels.base import Accept
from bot.channels.dingtalk.inbound import BadCallback, accept_card, accept_message
from bot.errors import ChannelAPIError, ChannelNetworkError
from bot.events import IncomingEvent

if TYPE_CHECKING:
    from bot.channels.dingtalk.adapter import DingTalkChannel

log = logging.getLogger(__name__)

ROBOT_TOPIC = ChatbotMessage.TOPIC
CARD_TOPIC = CallbackHandler.TOPIC_CARD_CALLBACK
RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0
OPEN_TIMEOUT = 10
CLOSE_TIMEOUT = 2


async def _take(feed: Accept, event: IncomingEvent) -> bool:
    """Store the event in the inbox before the ACK; False if it could not be stored."""
    try:
        await feed(event)
    except Exception as exc:
        log.warning("dingtalk stream: event %s not stored (%s)", event.event_id,
                    type(exc).__name__)
        return False
    return True


class _Handler(CallbackHandler, abc.ABC):
    """Store what a topic brings in the inbox, then ACK (Stream mode does not redeliver)."""

    what = ""  # for the log

    def __init__(self, channel: DingTalkChannel, feed: Accept) -> None:
        super().__init__()
        self.logger = log
        self.channel, self.feed = channel, feed

    @abc.abstractmethod
    async def parse(self, message: CallbackMessage) -> IncomingEvent:
        """The event a message carries; BadCallback if it carries none we can use."""

    def reply(self, status: int, text: str) -> Any:
        """The ACK's data for a status."""
        return text

    async def process(self, message: CallbackMessage) -> tuple[int, Any]:
        try:
            event = await self.parse(message)
        except BadCallback as exc:
            log.warning("dingtalk stream: unusable %s %s: %s", self.what,
                        message.headers.message_id, exc)
            return AckMessage.STATUS_BAD_REQUEST, self.reply(AckMessage.STATUS_BAD_REQUEST,
                                                              str(exc))
        if not await _take(self.feed, event):
            status = AckMessage.STATUS_SYSTEM_EXCEPTION
            return status, self.reply(status, "not stored")
        return AckMessage.STATUS_OK, self.reply(AckMessage.STATUS_OK, "OK")


class RobotHandler(_Handler):
    """Robot messages."""

    what = "robot message"

    async def parse(self, message: CallbackMessage) -> IncomingEvent:
        return await accept_message(message.data, self.channel.settings)


class CardHandler(_Handler):
    """Card button taps. The ACK changes nothing on the card: the decision arrives
    through the outbox as a card update that reaches every copy, not only the tapper's."""

    what = "card callback"

    async def parse(self, message: CallbackMessage) -> IncomingEvent:
        return await accept_card(message.data, message.headers.message_id)

    def reply(self, status: int, text: str) -> Any:
        return {}  # a card callback's ACK data is the card's new data: none


class StreamClient(DingTalkStreamClient):
    """One Stream connection per app key (DingTalk routes STREAM cards to it)."""

    def __init__(self, channel: DingTalkChannel, feed: Accept, *,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        settings = channel.settings
        super().__init__(Credential(settings.dingtalk_app_key, settings.dingtalk_app_secret),
                         logger=log)
        self.channel = channel
        self.retry_seconds = retry_seconds
        self.register_callback_handler(ROBOT_TOPIC, RobotHandler(channel, feed))
        self.register_callback_handler(CARD_TOPIC, CardHandler(channel, feed))
        self._frames: set[asyncio.Task[Any]] = set()

    async def open_stream(self) -> dict[str, str]:
        """The SDK's open-connection request, sent without blocking the loop."""
        body = {
            "clientId": self.credential.client_id,
            "clientSecret": self.credential.client_secret,
            "subscriptions": [{"type": "CALLBACK", "topic": topic}
                              for topic in self.callback_handler_map],
            "ua": f"dingtalk-sdk-python/v{VERSION_STRING}-union",
            "localIp": "",
        }
        url = self.channel.settings.dingtalk_api_base + "/v1.0/gateway/connections/open"
        status, data = await self.channel.api.request("POST", url, body,
                                                      {"Accept": "application/json"})
        if status != 200 or not isinstance(data, dict) or not data.get("endpoint") \
                or not data.get("ticket"):
            raise ChannelAPIError(status, f"open connection refused: {str(data)[:200]}",
                                  retryable=True)
        return data

    async def run(self) -> None:
        """Connect, serve frames, reconnect after any drop; returns only by cancellation."""
        self.pre_start()
        delay = self.retry_seconds
        try:
            while True:
                try:
                    if await self._serve():
                        delay = self.retry_seconds
                except (ChannelAPIError, ChannelNetworkError, OSError, TimeoutError,
                        websockets.exceptions.WebSocketException) as exc:
                    log.warning("dingtalk stream: connection failed or dropped: %r", exc)
                log.info("dingtalk stream: reconnecting in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
        finally:
            for task in list(self._frames):
                task.cancel()

    async def _serve(self) -> bool:
        """One connection; True once it was established (it then ended or dropped)."""
        connection = await self.open_stream()
        uri = f"{connection['endpoint']}?ticket={quote_plus(connection['ticket'])}"
        async with websockets.connect(uri, open_timeout=OPEN_TIMEOUT,
                                      close_timeout=CLOSE_TIMEOUT) as ws:
            self.websocket = ws
            log.info("dingtalk stream: connected")
            try:
                async for raw in ws:
                    self._frame(raw)
            except websockets.exceptions.ConnectionClosed as exc:
                log.warning("dingtalk stream: socket dropped: %r", exc)
        return True

    def _frame(self, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
        except json.JSONDecodeError:
            log.warning("dingtalk stream: frame is not JSON, ignored")
            return
        # the SDK routes the frame to a handler and sends its ACK (or closes on "disconnect")
        task = asyncio.create_task(self.background_task(frame))
        self._frames.add(task)
        task.add_done_callback(self._frames.discard)
