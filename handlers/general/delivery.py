"""When a platform says a person cannot be reached: record it, tell their supervisors."""

from __future__ import annotations

import logging

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot import audit, outbox
from bot.config import Settings
from bot.events import OutgoingText
from bot.rendering import msg
from models.channel_state import UnreachableRecipient
from models.org import SUPERVISOR, Person

log = logging.getLogger(__name__)


async def report_undeliverable(settings: Settings, channel: str, user_id: str,
                               reason: str) -> None:
    """The outbox's undeliverable hook: one record per recipient, reported once."""
    async with in_transaction():
        seen = await UnreachableRecipient.filter(channel=channel, user_id=user_id).update(
            count=F("count") + 1, reason=reason)
        if seen:
            return
        await UnreachableRecipient.create(channel=channel, user_id=user_id, reason=reason)
        person = await Person.by_address(channel, user_id)
        channel_label = msg("delivery.channel", channel=channel)
        if person is None:
            text = msg("delivery.unreachable_unknown", user_id=user_id, channel=channel_label,
                       reason=reason)
            supervisors = [p for p in await Person.filter(active=True) if p.has_role(SUPERVISOR)]
        else:
            unit = await person.unit
            text = msg("delivery.unreachable", unit=unit.name, name=person.name,
                       user_id=user_id, channel=channel_label, reason=reason)
            # the unit's own supervisors first: a supervisor office's staff have nobody above
            nearest = await Person.holders(unit, SUPERVISOR) or await unit.supervisors()
            supervisors = [p for p in nearest if p.id != person.id]
        if not supervisors:
            log.warning("undeliverable %s/%s and no supervisor to tell", channel, user_id)
        for supervisor in supervisors:
            await outbox.enqueue(settings.channel, supervisor.address(settings.channel),
                                 OutgoingText(text))
        await audit.append("outbox", "delivery.unreachable", f"{channel}:{user_id}",
                           {"reason": reason, "told": [p.id for p in supervisors]})
