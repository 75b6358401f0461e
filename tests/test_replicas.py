"""Two real replicas on one database (PostgreSQL, MariaDB/MySQL) share the outbox (issue 7):
every one of 5,000 due messages reaches the fake WeCom server exactly once, and a replica
killed with SIGKILL in the middle loses nothing — the other takes its rows over when the
lease ends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests import databases, replicas
from tests.fakes.wecom import FakeWeCom
from tests.test_ops_shutdown import free_port

MESSAGES = 5000
LEASE_SECONDS = 2.0
TIMEOUT = 240

SERVERS = [name for name in databases.backends() if name in replicas.SERVERS]
pytestmark = pytest.mark.skipif(not SERVERS, reason="no database server on loopback")


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def fake(aiohttp_server,  # type: ignore[no-untyped-def]
               server: str) -> AsyncIterator[FakeWeCom]:
    fake = FakeWeCom()
    site = await aiohttp_server(fake.app())
    fake.base = f"http://127.0.0.1:{site.port}"
    await replicas.prepare(MESSAGES, server)
    yield fake
    await replicas.drop(server)


def assert_each_once(running: replicas.Cluster) -> None:
    shown = running.shown()
    assert len(shown) == MESSAGES
    assert set(shown) == {replicas.text(i) for i in range(MESSAGES)}
    assert max(shown.values()) == 1


async def test_two_replicas_deliver_each_message_exactly_once(fake: FakeWeCom, server: str
                                                               ) -> None:
    async with replicas.cluster(fake, [free_port(), free_port()], LEASE_SECONDS,
                                server) as running:
        await running.wait_sent(MESSAGES, TIMEOUT)
    assert_each_once(running)
    # no crash here, so not even a hidden repeat request
    assert max(running.requests().values()) == 1


async def test_sigkill_in_the_middle_loses_nothing(fake: FakeWeCom, server: str) -> None:
    async with replicas.cluster(fake, [free_port(), free_port()], LEASE_SECONDS,
                                server) as running:
        await running.wait_sent(MESSAGES // 4, TIMEOUT)
        running.replicas[0].kill()
        await running.wait_sent(MESSAGES, TIMEOUT)
    assert_each_once(running)
    # the killed replica may have sent the messages it had in flight (one per recipient
    # it was serving at once) without recording them; the survivor's retries of those are
    # the only repeat requests, one each, and WeCom's duplicate check hides them
    requests = running.requests()
    assert max(requests.values()) <= 2
    assert sum(n - 1 for n in requests.values()) <= Settings().outbox_send_concurrency
