"""The WeCom callback's crypto and bad input, identity, errors, pacing, group robots."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import make_mocked_request

from bot import outbox
from bot.channels.wecom import inbound as wecom
from bot.channels.wecom.cards import task_id_for
from bot.channels.wecom.inbound import BadCallback, Callback
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.events import OutgoingText
from bot.rendering import msg
from models.channel_state import CardCopy, UnknownSender, UnreachableRecipient
from models.review import Draft
from models.system import InboundEvent, Outbox
from tests.fakes.wecom import CORP_ID, WeComSender
from tests.wecom_office import DRAFT, Office

# official vector A (doc 90968)
VERIFY_A = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
            "timestamp": "1409659589", "nonce": "263014780",
            "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7O"
                       "aBO+FZXvnaqQ=="}
POST_A_QUERY = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
                "timestamp": "1409659813", "nonce": "1372623149"}
POST_A_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCU"
    "pj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xg"
    "pue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+Kq"
    "CKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS"
    "9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZ"
    "Is2pDBS8R07+qN+E7Q==")
# wechatpy's own vector C (tests/test_crypto.py)
VECTOR_C = {"token": "123456", "key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
            "corp": "wx49f0ab532d5d035a"}
VERIFY_C = {"msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
            "timestamp": "1411443780", "nonce": "437374425",
            "echostr": "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv4"
                       "1n7hOchLF6p+Q=="}


def _callback(settings: Settings) -> Callback:
    return Callback(settings, accept=None)  # type: ignore[arg-type]


def _at(monkeypatch: pytest.MonkeyPatch, timestamp: str) -> None:
    """The official vectors are signed in 2014: check them at their own time (freshness)."""
    then = datetime.fromtimestamp(int(timestamp), UTC)
    monkeypatch.setattr("bot.channels.wecom.inbound.utcnow", lambda: then)


async def test_official_url_verification_returns_only_the_plaintext(
        office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, VERIFY_A["timestamp"])
    resp = await office.client.get("/wecom/callback", params=VERIFY_A)
    assert resp.status == 200 and await resp.read() == b"1616140317555161061"


async def test_official_message_decrypts_through_the_callback(
        office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, POST_A_QUERY["timestamp"])
    body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA["
            f"{POST_A_ENCRYPT}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>")
    resp = await office.client.post("/wecom/callback", params=POST_A_QUERY, data=body)
    assert resp.status == 200 and await resp.read() == b""
    await office.settle()
    # "mycreate" is nobody in the organisation: a polite answer and a record, nothing else
    # the core's answer, the same on every channel
    assert office.fake.texts("mycreate") == [msg("common.unknown_sender", user_id="mycreate")]
    assert (await UnknownSender.get()).user_id == "mycreate"
    assert await InboundEvent.filter(event_id="msg:4561255354251345929").exists()


def test_wechatpy_vector_c_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, VERIFY_C["timestamp"])
    settings = Settings(wecom_corp_id=VECTOR_C["corp"], wecom_agent_id="1",
                        wecom_secret="s", wecom_token=VECTOR_C["token"],
                        wecom_aes_key=VECTOR_C["key"])
    request = make_mocked_request("GET", "/wecom/callback?" + "&".join(
        f"{k}={v.replace('+', '%2B').replace('/', '%2F').replace('=', '%3D')}"
        for k, v in VERIFY_C.items()))
    assert _callback(settings).verify_url(request) == "5927782489442352469"


async def test_forged_or_missing_signature_is_403_and_stores_nothing(
        office: Office, caplog: pytest.LogCaptureFixture) -> None:
    query, body = office.wecom.envelope(office.wecom.text_xml("wangwu", DRAFT))
    forged = {**query, "msg_signature": "0" * 40}
    with caplog.at_level(logging.WARNING):
        assert (await office.client.post("/wecom/callback", params=forged, data=body)).status == 403
    assert (await office.client.post("/wecom/callback", data=body)).status == 403
    assert (await office.client.get("/wecom/callback", params={**VERIFY_A, "nonce": "1"})
            ).status == 403
    await office.settle()
    assert await InboundEvent.all().count() == 0 and await Draft.all().count() == 0
    assert "callback refused with 403" in caplog.text and "Encrypt" not in caplog.text


@pytest.mark.parametrize("body", [
    b"not xml at all",
    b"<xml><Encrypt>",
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    b"<xml><Encrypt>&lol2;</Encrypt></xml>",
    b"<xml>" + b"A" * (wecom.MAX_BODY_BYTES + 1) + b"</xml>",
    b"<xml><Encrypt><![CDATA[!!notbase64]]></Encrypt></xml>",
    "<xml><Encrypt>\udcff</Encrypt></xml>".encode(errors="surrogatepass"),
])
async def test_bad_bodies_are_4xx(office: Office, body: bytes) -> None:
    query, _ = office.wecom.envelope("<xml/>")
    resp = await office.client.post("/wecom/callback", params=query, data=body)
    assert 400 <= resp.status < 500
    assert await InboundEvent.all().count() == 0


async def test_payload_for_another_corp_is_refused(office: Office) -> None:
    other = WeComSender(office.client, corp_id="wwsomeoneelse")
    resp = await other.post(other.text_xml("wangwu", DRAFT))
    assert resp.status == 400
    await office.settle()
    assert await Draft.all().count() == 0


async def test_unknown_sender_gets_one_polite_answer(office: Office) -> None:
    await office.say("stranger", DRAFT)
    await office.say("stranger", "帮助")
    answers = [c.body for c in office.fake.to("/cgi-bin/message/send")
               if c.body and c.body["touser"] == "stranger"]
    assert len(answers) == 2 and answers[0] == answers[1]
    # the second, identical answer within the interval is not shown again by WeCom
    assert len(office.fake.texts("stranger")) == 1
    assert (await UnknownSender.get()).count == 2
    assert await Draft.all().count() == 0


async def test_enter_agent_answers_help_once_a_day(office: Office) -> None:
    await office.post(office.wecom.event_xml("wangwu", "enter_agent"))
    await office.post(office.wecom.event_xml("wangwu", "enter_agent"))
    await office.post(office.wecom.event_xml("wangwu", "subscribe"))
    assert len(office.fake.texts("wangwu")) == 1 and "投稿" in office.fake.texts("wangwu")[0]


UNSUPPORTED = "目前只能处理文字、图片和 Word 文件（.docx）。发送“帮助”查看可用的命令。"


async def test_voice_message_is_answered(office: Office) -> None:
    xml = office.wecom.text_xml("wangwu", "x").replace("[text]", "[voice]").replace(
        "<Content><![CDATA[x]]></Content>",
        "<MediaId><![CDATA[v1]]></MediaId><Format><![CDATA[amr]]></Format>")
    await office.post(xml)
    assert office.fake.texts("wangwu") == [UNSUPPORTED]


async def test_image_without_media_id_is_answered_not_fetched(office: Office) -> None:
    xml = office.wecom.text_xml("wangwu", "x").replace("[text]", "[image]").replace(
        "<Content><![CDATA[x]]></Content>", "<PicUrl><![CDATA[http://127.0.0.1/p]]></PicUrl>")
    await office.post(xml)
    assert office.fake.texts("wangwu") == [UNSUPPORTED]
    assert not office.fake.to("/cgi-bin/media/get")


async def test_invalid_user_is_recorded_and_reported_not_retried(office: Office) -> None:
    office.fake.invalid_users.add("liufang")
    await office.say("wangwu", DRAFT)
    await office.click("zhangming", office.live_card("zhangming"), "通过")
    await office.retry_now()
    failed = await Outbox.get(user_id="liufang")
    assert (failed.status, failed.attempts) == ("failed", 1)
    record = await UnreachableRecipient.get()
    assert (record.channel, record.user_id) == ("wecom", "liufang")
    told = office.fake.texts("zhaoqiang")
    assert len(told) == 1 and "刘芳" in told[0] and "liufang" in told[0]
    await office.retry_now()
    assert len(office.fake.texts("zhaoqiang")) == 1


async def test_ip_not_allowed_is_logged_once_and_retried(
        office: Office, caplog: pytest.LogCaptureFixture) -> None:
    from bot.channels.wecom import api as wecom_api
    wecom_api._ip_warned = False
    office.fake.fail_next("/cgi-bin/message/send", 60020, times=2)
    with caplog.at_level(logging.ERROR, logger="bot.channels.wecom.api"):
        await office.say("wangwu", "帮助")
        await office.retry_now()
        await office.retry_now()
    assert caplog.text.count("企业可信IP") == 1
    assert len(office.fake.texts("wangwu")) == 1


async def test_sender_never_exceeds_the_per_member_pace(office: Office) -> None:
    for i in range(40):
        await outbox.enqueue("wecom", "wangwu", OutgoingText(f"第{i}条"))
    await office.settle()
    sent = office.fake.texts("wangwu")
    assert sent == [f"第{i}条" for i in range(15)]  # in order, the rest waits its turn
    waiting = await Outbox.filter(status="pending").order_by("id").first()
    assert waiting is not None and waiting.attempts == 0


def test_task_ids_are_valid_and_unique() -> None:
    assert task_id_for("review-12-2-1", 7) == "review-12-2-1-o7"
    long = task_id_for("评审 ref/" + "x" * 300, 123456789)
    assert len(long.encode()) <= 128 and long.endswith("-o123456789")
    assert all(c.isalnum() or c in "_-@" for c in long)


async def test_card_copy_records_the_send_code(office: Office) -> None:
    await office.say("wangwu", DRAFT)
    copy = await CardCopy.get(user_id="zhangming")
    assert copy.update_code and copy.update_code.startswith("send-code-")
    assert copy.button_keys == ["approve:1:2:1", "reject:1:2:1", "handover:1:2:1"]
    receipt = await CardCopy.get(user_id="wangwu")  # the author's, with 催办 and 撤回
    assert receipt.button_keys == ["nudge:1:1", "withdraw:1:1"]


def test_half_configured_wecom_names_the_missing_key() -> None:
    env = {"GOVMEDIA_WECOM_CORP_ID": "ww1", "GOVMEDIA_WECOM_AGENT_ID": "1000002",
           "GOVMEDIA_WECOM_SECRET": "s", "GOVMEDIA_WECOM_TOKEN": "t"}
    with pytest.raises(ConfigError) as err:
        load_settings(None, env)
    assert "GOVMEDIA_WECOM_AES_KEY" in str(err.value) and "\n" not in str(err.value)


def test_configured_wecom_becomes_the_main_channel() -> None:
    env = {"GOVMEDIA_WECOM_CORP_ID": "ww1", "GOVMEDIA_WECOM_AGENT_ID": "1000002",
           "GOVMEDIA_WECOM_SECRET": "s", "GOVMEDIA_WECOM_TOKEN": "t",
           "GOVMEDIA_WECOM_AES_KEY": "k" * 43,
           "GOVMEDIA_WECOM_API_BASE": "https://zwwx.example.gov.cn"}
    settings = load_settings(None, env)
    assert settings.wecom_enabled and settings.channel == "wecom"
    assert not settings.sim_enabled and not settings.seed_demo  # a real office: no demo
    assert load_settings(None, {**env, "GOVMEDIA_CHANNEL": "sim"}).channel == "sim"
    assert not load_settings(None, {}).wecom_enabled
    with pytest.raises(ConfigError):
        load_settings(None, {**env, "GOVMEDIA_WECOM_AGENT_ID": "abc"})


def test_bad_callback_keeps_its_status() -> None:
    assert BadCallback(413, "x").status == 413
