"""Pruning what the boundary only needs to remember for a while (issue 13 item 7).

An hourly job (bot/scheduler.py) deletes, in small batches:
- inbound events older than INBOUND_KEEP: a platform retry comes within seconds (WeCom) or
  minutes, and a replay of anything older is refused by its timestamp before the inbox is
  asked (WeCom: CALLBACK_MAX_AGE, a day; DingTalk HTTP: an hour);
- DingTalk (timestamp, sign) pairs past their hour, and reply webhooks that have expired.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.models import Model

from bot.channels.dingtalk.inbound import prune_signatures
from bot.channels.wecom.inbound import CALLBACK_MAX_AGE
from bot.clock import utcnow
from models.dingtalk_state import DingTalkSession
from models.system import InboundEvent

log = logging.getLogger(__name__)

INBOUND_KEEP = timedelta(days=7)
BATCH = 2000
JOB_ID = "housekeeping"
EVERY_SECONDS = 3600

assert INBOUND_KEEP > 2 * CALLBACK_MAX_AGE  # a replay must meet the freshness check first


async def _delete_in_batches(model: type[Model], **filters: object) -> int:
    removed = 0
    while True:
        ids = await model.filter(**filters).order_by("id").limit(BATCH).values_list(
            "id", flat=True)
        if not ids:
            return removed
        removed += await model.filter(id__in=list(ids)).delete()


async def prune_inbound(now: datetime) -> int:
    filters: dict[str, object] = {"received_at__lt": now - INBOUND_KEEP}
    if "status" in InboundEvent._meta.fields_map:
        filters["status"] = "done"  # the durable inbox: never an event still to handle
    return await _delete_in_batches(InboundEvent, **filters)


async def run(now: datetime | None = None) -> dict[str, int]:
    """One pass; returns how many rows of each kind went."""
    now = now or utcnow()
    removed = {
        "inbound_event": await prune_inbound(now),
        "dingtalk_signature": await prune_signatures(now),
        "dingtalk_session": await DingTalkSession.filter(expires_at__lt=now).delete(),
    }
    if any(removed.values()):
        log.info("housekeeping: pruned %s", ", ".join(f"{k} {v}" for k, v in removed.items()))
    return removed
