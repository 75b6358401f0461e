"""/wecom/callback at the boundary (issue 13 item 7): a signed timestamp older than a day is
refused, so a captured callback cannot come back once the inbox forgot its id; over-long
ids and bodies in several reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import xmltodict

from models.review import Draft
from models.system import InboundEvent
from tests.fakes.wecom import AGENT_ID, CORP_ID
from tests.wecom_office import DRAFT, Office


def _envelope(office: Office, xml: str, timestamp: str) -> tuple[dict[str, str], str]:
    nonce = str(office.wecom.next_id())
    reply = xmltodict.parse(office.wecom.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
    query = {"msg_signature": reply["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
    body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<Encrypt><![CDATA[{reply['Encrypt']}]]></Encrypt>"
            f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>")
    return query, body


async def test_a_stale_signed_callback_is_refused(office: Office) -> None:
    xml = office.wecom.text_xml("wangwu", DRAFT)
    for age, status in ((2 * 86400, 403), (-2 * 86400, 403), (600, 200)):
        query, body = _envelope(office, xml.replace("<MsgId>", f"<MsgId>{age + 10**6}"),
                                str(int(time.time()) - age))
        resp = await office.client.post("/wecom/callback", params=query, data=body)
        assert resp.status == status, (age, resp.status)
    await office.settle()
    assert await InboundEvent.all().count() == 1 and await Draft.all().count() == 1
    query, body = _envelope(office, xml, "not-a-number")
    assert (await office.client.post("/wecom/callback", params=query, data=body)).status == 400
    verify = {**_envelope(office, xml, str(int(time.time()) - 2 * 86400))[0], "echostr": "x"}
    assert (await office.client.get("/wecom/callback", params=verify)).status == 403


async def test_an_over_long_userid_is_a_400(office: Office) -> None:
    resp = await office.wecom.post(office.wecom.text_xml("u" * 65, "帮助"))
    assert resp.status == 400
    await office.settle()
    assert await InboundEvent.all().count() == 0


async def test_a_callback_in_several_reads_is_taken_whole(office: Office) -> None:
    query, body = office.wecom.envelope(office.wecom.text_xml("wangwu", DRAFT))
    raw = body.encode()

    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(raw), 50):
            yield raw[i:i + 50]
            await asyncio.sleep(0.005)

    resp = await office.client.post("/wecom/callback", params=query, data=pieces())
    assert resp.status == 200
    await office.settle()
    assert await Draft.all().count() == 1
