"""钉钉 (DingTalk) enterprise-internal robot: the adapter create_app wires (base.Adapter).

It delivers through the OpenAPI (api.py) and takes events through the HTTP callback routes
(inbound.py) or a Stream connection (stream.py) it opens on start.

专有钉钉/浙政钉 use another, separately signed API family; a sibling adapter would reuse
the parsing in inbound.py and replace api.py (see README "钉钉").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.channels.base import Accept, Session
from bot.channels.dingtalk import NAME, inbound
from bot.channels.dingtalk.api import DingTalkAPI
from bot.channels.dingtalk.cards import (
    TEMPLATE_BUTTON_SLOTS,
    as_markdown,
    card_params,
    file_msg,
    robot_msg,
    slotted,
    webhook_body,
)
from bot.channels.media_io import MediaIds, TooLarge
from bot.clock import utcnow
from bot.config import Settings
from bot.errors import ChannelAPIError, ChannelNetworkError
from bot.events import (
    Attachment,
    CardUpdate,
    IncomingEvent,
    Outgoing,
    OutgoingCard,
    OutgoingFile,
    OutgoingText,
)
from bot.media import Upload
from bot.web import file_links
from models.dingtalk_state import DingTalkCard, DingTalkSession

log = logging.getLogger(__name__)

# a webhook that expires this soon is not worth trying; the proactive API is used instead
WEBHOOK_MARGIN = timedelta(minutes=2)
# media/upload (上传媒体文件): a 普通文件 is at most 20 MB; the mediaId is reused for a
# retry of the same outbox row (a second upload would make the repeat look new)
FILE_MAX_BYTES = 20 * 1024 * 1024


def build(settings: Settings, *, accept: Accept, session: Session) -> DingTalkChannel:
    """The DingTalk adapter of one enterprise-internal app (HTTP or Stream mode)."""
    return DingTalkChannel(settings, accept=accept, session=session)


class DingTalkChannel:
    """Delivers neutral messages to DingTalk staff ids and owns the card state table; takes
    robot messages and card taps into the inbox."""

    name = NAME

    def __init__(self, settings: Settings, *, accept: Accept, session: Session) -> None:
        self.settings = settings
        self.accept = accept
        self.api = DingTalkAPI(settings, session)
        self._media = MediaIds(settings, "DingTalk", (1, FILE_MAX_BYTES))
        self._stream: asyncio.Task[None] | None = None

    @property
    def callback_type(self) -> str:
        return "HTTP" if self.settings.dingtalk_mode == "http" else "STREAM"

    @property
    def route_key(self) -> str:
        return f"govmedia-{self.settings.dingtalk_app_key}"[:64]

    # life cycle and inbound (Adapter protocol)

    def routes(self) -> list[web.RouteDef]:
        """HTTP mode: the robot and card callback routes; Stream mode serves none."""
        if self.settings.dingtalk_mode == "http":
            return inbound.routes(self.settings, self.accept)
        return []

    def middlewares(self) -> list[Middleware]:
        return []

    async def prepare(self, event: IncomingEvent) -> IncomingEvent | None:
        return event

    async def start(self) -> None:
        """Stream mode: connect (and reconnect) in a task; HTTP mode: route card callbacks
        of this app to our URL when a card template is configured."""
        if self.settings.dingtalk_mode == "stream":
            # Imported here: the Stream SDK (and websockets) costs start-up time and memory
            # that an office on WeCom or on HTTP callbacks never needs (issue 19).
            from bot.channels.dingtalk.stream import StreamClient
            client = StreamClient(self, self.accept)
            self._stream = asyncio.create_task(client.run())
        elif self.settings.dingtalk_card_template_id:
            await self._register()

    async def close(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stream
            self._stream = None

    async def _register(self) -> None:
        try:
            await self.register_card_callback()
        except (ChannelAPIError, ChannelNetworkError) as exc:
            # the bot still works (typed commands); taps fail until the route is registered
            log.error("dingtalk: registering the card callback URL failed: %s", exc)

    async def fetch_media(self, attachment: Attachment, max_bytes: int) -> Upload:
        """A file or picture a member sent the robot: messageFiles/download turns the
        downloadCode into a short-lived URL, read up to max_bytes."""
        answer = await self.api.call("POST", "/v1.0/robot/messageFiles/download", {
            "downloadCode": attachment.ref, "robotCode": self.settings.dingtalk_robot_code})
        url = answer.get("downloadUrl") if isinstance(answer, Mapping) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ChannelAPIError(0, "messageFiles/download: no downloadUrl", retryable=False)
        try:
            data = await self.api.download(url, max_bytes)
        except TooLarge as exc:
            raise exc.refusal(max_bytes) from None
        return Upload(attachment.name, data)

    async def register_card_callback(self) -> None:
        """HTTP mode: route card callbacks of this app to our /dingtalk/card URL."""
        await self.api.call("POST", "/v1.0/card/callbacks/register", {
            "callbackRouteKey": self.route_key,
            "callbackUrl": self.settings.dingtalk_card_callback_url,
            "apiSecret": self.settings.dingtalk_app_secret,
            "forceUpdate": True,
        })

    # outbound (Channel protocol)

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        if isinstance(message, OutgoingFile):
            await self._send_file(user_id, message)
            return
        if isinstance(message, OutgoingCard):
            if self._interactive(message):
                await self._send_card(user_id, message, outbox_id)
                return
            message = as_markdown(message)  # a static message: update_card finds no copy
        await self._send_text(user_id, message)

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        """PUT the decided card to every interactive copy this user holds. The callback
        answer would change only the tapper's view; this changes it for everyone."""
        copies = await DingTalkCard.filter(card_ref=update.card.card_ref, user_id=user_id,
                                           delivered=True)
        for copy in copies:
            await self.api.call("PUT", "/v1.0/card/instances", {
                "outTrackId": copy.out_track_id,
                "cardData": {"cardParamMap": card_params(update.card)},
                "cardUpdateOptions": {"updateCardDataByKey": True},
            })
            await DingTalkCard.filter(id=copy.id).update(decided=not update.card.buttons)
        if not copies:
            log.info("dingtalk: no interactive copy of %s for %s; nothing to update",
                     update.card.card_ref, user_id)

    def _interactive(self, card: OutgoingCard) -> bool:
        buttons = slotted(card)
        return bool(self.settings.dingtalk_card_template_id and buttons
                    and len(buttons) <= TEMPLATE_BUTTON_SLOTS)

    async def _send_card(self, user_id: str, card: OutgoingCard, outbox_id: int) -> None:
        # the row exists before the call, so a retry of this outbox row reuses its outTrackId
        row, _ = await DingTalkCard.get_or_create(outbox_id=outbox_id, defaults={
            "out_track_id": uuid.uuid4().hex, "card_ref": card.card_ref, "user_id": user_id,
            "button_keys": [b.key for b in slotted(card)]})
        body: dict[str, Any] = {
            "cardTemplateId": self.settings.dingtalk_card_template_id,
            "outTrackId": row.out_track_id,
            "callbackType": self.callback_type,
            "cardData": {"cardParamMap": card_params(card)},
            "openSpaceId": f"dtv1.card//IM_ROBOT.{user_id}",
            "imRobotOpenSpaceModel": {"supportForward": False},
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT",
                                        "robotCode": self.settings.dingtalk_robot_code},
            "userIdType": 1,
        }
        if self.callback_type == "HTTP":
            body["callbackRouteKey"] = self.route_key
        data = await self.api.call("POST", "/v1.0/card/instances/createAndDeliver", body)
        _check_delivery(data)
        await DingTalkCard.filter(id=row.id).update(delivered=True)

    async def _send_text(self, user_id: str, message: OutgoingText) -> None:
        """Through the person's fresh sessionWebhook, else the proactive batchSend API."""
        session = await DingTalkSession.get_or_none(user_id=user_id)
        if session and session.expires_at - WEBHOOK_MARGIN > utcnow():
            try:
                await self.api.webhook(session.webhook, webhook_body(message))
                return
            except ChannelAPIError:
                # a refused webhook is dropped; the retry goes through batchSend
                await DingTalkSession.filter(user_id=user_id).delete()
                raise ChannelAPIError(-1, "sessionWebhook refused", retryable=True) from None
        if user_id.startswith("group:"):
            await self.send_group(user_id.removeprefix("group:"), message)
            return
        key, param = robot_msg(message)
        data = await self.api.call("POST", "/v1.0/robot/oToMessages/batchSend", {
            "robotCode": self.settings.dingtalk_robot_code, "userIds": [user_id],
            "msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)})
        _check_batch(data, user_id)

    async def _send_file(self, user_id: str, file: OutgoingFile) -> None:
        """Upload the file, then the robot's sampleFile message (a sessionWebhook cannot
        carry files, so it always goes through the OpenAPI)."""
        if file.size > FILE_MAX_BYTES:  # over what media/upload takes: a download link
            await self._send_text(user_id, await file_links.link_text(self.settings, user_id,
                                                                      file))
            return
        key, param = file_msg(file.name, await self._media.media_id(file, self.api.upload))
        data = await self.api.call("POST", "/v1.0/robot/oToMessages/batchSend", {
            "robotCode": self.settings.dingtalk_robot_code, "userIds": [user_id],
            "msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)})
        _check_batch(data, user_id)

    async def send_group(self, open_conversation_id: str, message: OutgoingText) -> None:
        """A group digest through the robot (it must be in the group)."""
        key, param = robot_msg(message)
        await self.api.call("POST", "/v1.0/robot/groupMessages/send", {
            "robotCode": self.settings.dingtalk_robot_code,
            "openConversationId": open_conversation_id,
            "msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)})


def _check_batch(data: Any, user_id: str) -> None:
    if not isinstance(data, Mapping):
        return
    if user_id in (data.get("flowControlledStaffIdList") or []):
        raise ChannelAPIError(429, f"flow controlled: {user_id}", retryable=True)
    if user_id in (data.get("invalidStaffIdList") or []):
        raise ChannelAPIError(400, f"invalid staff id: {user_id}", retryable=False)


def _check_delivery(data: Any) -> None:
    result = data.get("result") if isinstance(data, Mapping) else None
    for item in (result or {}).get("deliverResults") or []:
        if isinstance(item, Mapping) and item.get("success") is False:
            raise ChannelAPIError(400, f"card not delivered: {item.get('errorMsg', '')}",
                                  retryable=False)
