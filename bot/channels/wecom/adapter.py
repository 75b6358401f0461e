"""企业微信 / 政务微信: the adapter create_app wires (bot/channels/base.py Adapter).

Inbound is the encrypted callback (inbound.py), whose routes it serves. Outbound: text,
markdown and `button_interaction` template cards through message/send, card updates through
update_template_card with the stored response_code. Protocol notes: ../shared/PROTOCOLS.md
§1–5.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.channels.base import Accept, Session
from bot.channels.media_io import MediaIds, TooLarge
from bot.channels.wecom import NAME, inbound
from bot.channels.wecom.api import ALL_RECEIVERS_INVALID, WeComAPI
from bot.channels.wecom.cards import (
    CODE_LIFETIME,
    DUPLICATE_CHECK_SECONDS,
    card_text,
    task_id_for,
    template_card,
    text_body,
)
from bot.clock import utcnow
from bot.config import Settings
from bot.errors import ChannelAPIError, RecipientError
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
from bot.rendering import msg
from bot.web import file_links
from models.channel_state import CardCopy

log = logging.getLogger(__name__)

# WeCom drops messages beyond 30/min and 1000/h to one member. A card row sends two
# messages (its text, then the card), so the limits are stated in rows at half.
MEMBER_LIMITS = ((15, 60.0), (500, 3600.0))
# 临时素材 (doc 90253): a file is 5 bytes to 20 MB; its media_id lives three days, and
# a retry within the reuse window sends the same media_id, so the duplicate check holds
FILE_MIN_BYTES, FILE_MAX_BYTES = 6, 20 * 1024 * 1024
REPLACE_NAME_MAX = 8


def build(settings: Settings, *, accept: Accept, session: Session) -> WeComChannel:
    """The WeCom adapter of one app (corp id, agent id, callback token and key)."""
    return WeComChannel(settings, accept=accept, session=session)


class WeComChannel:
    """Delivers outbox rows to one WeCom app's members and its units' group robots, and
    takes its encrypted callbacks into the inbox."""

    name = NAME

    def __init__(self, settings: Settings, *, accept: Accept, session: Session) -> None:
        self.api = WeComAPI(session, api_base=settings.wecom_api_base,
                            corp_id=settings.wecom_corp_id, secret=settings.wecom_secret)
        self.callback = inbound.Callback(settings, accept=accept)
        self.agent_id = int(settings.wecom_agent_id)
        self.settings = settings
        self._media = MediaIds(settings, "WeCom", (FILE_MIN_BYTES, FILE_MAX_BYTES))

    # life cycle and inbound (Adapter protocol)

    def routes(self) -> list[web.RouteDef]:
        return inbound.routes(self.callback)

    def middlewares(self) -> list[Middleware]:
        return []

    async def prepare(self, event: IncomingEvent) -> IncomingEvent | None:
        return await self.callback.prepare(event)

    async def start(self) -> None:
        """Nothing to open: WeCom calls us, and tokens are fetched when first needed."""

    async def close(self) -> None:
        """Nothing to close: the shared session is the app's."""

    # outbound (Channel protocol)

    def pace_limits(self, user_id: str) -> Sequence[tuple[int, float]]:
        return MEMBER_LIMITS

    async def send(self, user_id: str, message: Outgoing, *, outbox_id: int) -> None:
        if isinstance(message, OutgoingText):
            await self._send(user_id, text_body(message.text, markdown=message.markdown))
        elif isinstance(message, OutgoingFile):
            await self._send_file(user_id, message)
        else:
            await self._send_card(user_id, message, outbox_id)

    async def fetch_media(self, attachment: Attachment, max_bytes: int) -> Upload:
        """A picture or file a member sent the app; WeCom keeps it for three days."""
        try:
            name, declared, data = await self.api.media(attachment.ref, max_bytes)
        except TooLarge as exc:
            raise exc.refusal(max_bytes) from None
        return Upload(attachment.name or name, data, declared)

    async def update_card(self, user_id: str, update: CardUpdate, *, outbox_id: int) -> None:
        """Grey out the buttons of every live copy; where that is impossible, say it."""
        card = update.card
        copies = await CardCopy.filter(channel=NAME, user_id=user_id, card_ref=card.card_ref,
                                       sent=True, decided=False)
        stale = [c for c in copies if not await self._update_copy(user_id, c, card)]
        if stale:
            # the code is spent or expired: a short status so no button looks live
            status = msg("wecom.card_decided", title=card.title, status=card.status)
            await self._send(user_id, text_body(status, markdown=False))
            await CardCopy.filter(id__in=[c.id for c in stale]).update(decided=True,
                                                                       update_code=None)

    async def _update_copy(self, user_id: str, copy: CardCopy, card: OutgoingCard) -> bool:
        if not copy.update_code or copy.code_expires_at is None \
                or copy.code_expires_at <= utcnow():
            return False
        # the status's first part ("已通过", "已退回") becomes the greyed button's name
        replace = (card.status.split(" · ")[0] or msg("wecom.card_done"))[:REPLACE_NAME_MAX]
        try:
            await self.api.post("/cgi-bin/message/update_template_card", {
                "userids": [user_id], "agentid": self.agent_id,
                "response_code": copy.update_code, "button": {"replace_name": replace}})
        except ChannelAPIError as exc:
            if exc.retryable:
                raise
            log.warning("wecom: update of card %s refused (%s); sending status instead",
                        copy.platform_ref, exc)
            return False
        await CardCopy.filter(id=copy.id).update(decided=True, update_code=None)
        return True

    async def _send(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        data = await self.api.post("/cgi-bin/message/send",
                                   {"touser": user_id, "agentid": self.agent_id, **body})
        if data.get("invaliduser"):
            raise RecipientError(ALL_RECEIVERS_INVALID, f"invaliduser {data['invaliduser']}")
        return data

    async def _send_card(self, user_id: str, card: OutgoingCard, outbox_id: int) -> None:
        """The card's full text as markdown, then the card; a retry skips what went out."""
        task_id = task_id_for(card.card_ref, outbox_id)
        copy, _ = await CardCopy.get_or_create(
            platform_ref=task_id,
            defaults={"channel": NAME, "user_id": user_id, "card_ref": card.card_ref,
                      "outbox_id": outbox_id, "button_keys": [b.key for b in card.buttons]})
        if copy.sent:
            return
        if not copy.body_sent:
            await self._send(user_id, text_body(card_text(card), markdown=True))
            await CardCopy.filter(id=copy.id).update(body_sent=True)
        if not card.buttons:
            await CardCopy.filter(id=copy.id).update(sent=True, decided=True)
            return
        data = await self._send(user_id, {"msgtype": "template_card",
                                          "template_card": template_card(card, task_id)})
        code = data.get("response_code") or None
        await CardCopy.filter(id=copy.id).update(
            sent=True, update_code=code, code_expires_at=utcnow() + CODE_LIFETIME if code else None)

    async def _send_file(self, user_id: str, file: OutgoingFile) -> None:
        """Upload the file as temporary media, then a file message (doc 90236 "文件消息");
        a file over the platform's limit goes as a signed download link instead."""
        if not FILE_MIN_BYTES <= file.size <= FILE_MAX_BYTES:
            text = await file_links.link_text(self.settings, user_id, file)
            await self._send(user_id, text_body(text.text, markdown=False))
            return
        media_id = await self._media.media_id(file, self.api.upload)
        await self._send(user_id, {"msgtype": "file", "file": {"media_id": media_id},
                                   "enable_duplicate_check": 1,
                                   "duplicate_check_interval": DUPLICATE_CHECK_SECONDS})
