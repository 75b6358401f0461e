"""A unit's 钉钉 custom group robot (自定义机器人): signed webhook, ≤20 messages a minute.

For group digests where the app robot is not in the group. The platform throttles a robot
for 10 minutes after 20 messages in a minute, so the limit is kept here and an excess
message is refused as retryable: the outbox sends it later instead of losing it.
The count is per process; replicas sharing one robot should share one sender.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from urllib.parse import quote_plus

from bot import redact
from bot.channels.dingtalk import DingTalkAPI, sign, webhook_body
from bot.clock import utcnow
from bot.errors import ChannelAPIError
from bot.events import OutgoingText

PER_MINUTE = 20
WINDOW = timedelta(minutes=1)
SEND_TOO_FAST = 130101


class CustomRobot:
    """One custom robot, known by its webhook access_token and 加签 secret."""

    def __init__(self, api: DingTalkAPI, access_token: str, secret: str) -> None:
        self.api = api
        self.access_token = access_token
        redact.register(access_token, secret)
        self.secret = secret
        self._sent: deque[datetime] = deque()

    async def send(self, message: OutgoingText) -> None:
        now = utcnow()
        while self._sent and now - self._sent[0] >= WINDOW:
            self._sent.popleft()
        if len(self._sent) >= PER_MINUTE:
            raise ChannelAPIError(SEND_TOO_FAST, "custom robot: 20 messages a minute",
                                  retryable=True)
        timestamp = str(int(now.timestamp() * 1000))
        url = (f"{self.api.settings.dingtalk_oapi_base}/robot/send"
               f"?access_token={quote_plus(self.access_token)}&timestamp={timestamp}"
               f"&sign={quote_plus(sign(self.secret, timestamp))}")
        self._sent.append(now)
        await self.api.webhook(url, webhook_body(message))
