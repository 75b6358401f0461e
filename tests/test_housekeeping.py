"""The inbound-event table and the DingTalk pairs are pruned by a scheduled job (issue 13
item 7); nothing a replay could still use, and nothing still to handle, goes."""

from __future__ import annotations

from datetime import timedelta

from bot import housekeeping
from bot.clock import utcnow
from bot.config import Settings
from bot.scheduler import build_scheduler
from models.dingtalk_state import DingTalkSession, DingTalkSignature
from models.system import InboundEvent


async def test_old_rows_are_pruned_and_recent_ones_kept(db: None) -> None:
    now = utcnow()
    for i in range(5):
        await InboundEvent.create(channel="wecom", event_id=f"old{i}")
    await InboundEvent.all().update(received_at=now - housekeeping.INBOUND_KEEP
                                    - timedelta(hours=1))
    await InboundEvent.create(channel="wecom", event_id="recent")
    await DingTalkSignature.create(pair="a" * 64, event_id="msg:1",
                                   signed_at=now - timedelta(hours=2))
    await DingTalkSignature.create(pair="b" * 64, event_id="msg:2", signed_at=now)
    await DingTalkSession.create(user_id="gone", webhook="https://oapi.dingtalk.com/x",
                                 expires_at=now - timedelta(minutes=1))
    await DingTalkSession.create(user_id="live", webhook="https://oapi.dingtalk.com/y",
                                 expires_at=now + timedelta(minutes=60))
    removed = await housekeeping.run(now)
    assert removed == {"inbound_event": 5, "dingtalk_signature": 1, "dingtalk_session": 1}
    assert [e.event_id for e in await InboundEvent.all()] == ["recent"]
    assert await DingTalkSignature.filter(pair="b" * 64).exists()
    assert [s.user_id for s in await DingTalkSession.all()] == ["live"]
    assert await housekeeping.run(now) == {"inbound_event": 0, "dingtalk_signature": 0,
                                           "dingtalk_session": 0}


def test_the_job_is_scheduled() -> None:
    scheduler = build_scheduler(Settings(), lambda: None)
    job = scheduler.get_job(housekeeping.JOB_ID)
    assert job is not None and job.trigger.interval.total_seconds() == housekeeping.EVERY_SECONDS
