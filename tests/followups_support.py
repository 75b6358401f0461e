"""Driving the follow-up rules as users do, at chosen times: a chat message received at
`when` (the handlers date everything by the event's time) and the reminder scan at `when`."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from bot.channels.sim import inbound as sim
from models.org import Account
from tests.conftest import Harness


async def say_at(bot: Harness, user: str, text: str, when: datetime) -> str:
    """Send a chat message received at `when`; return the bot's last text reply."""
    before = await bot._last_id(user)
    event = dataclasses.replace(sim.text_event(user, text), received_at=when)
    await bot.dispatcher.feed(event)
    await bot.sender.flush()
    return await bot.reply_after(user, before)


async def last_text(bot: Harness, user: str) -> str:
    texts = await bot.texts(user)
    return texts[-1] if texts else ""


async def quiet_accounts(*keep: str, updated: datetime) -> None:
    """Every account recently updated with a fresh password; all but `keep` suspended, so
    that a scan holds only the reminders under test."""
    await Account.all().update(last_update_at=updated, password_changed_at=updated,
                               created_at=updated)
    await Account.exclude(name__in=keep).update(status="suspended")
