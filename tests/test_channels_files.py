"""Files the bot makes (登记表, 季度报告) delivered on the real platforms, and files people
send through DingTalk: WeCom uploads temporary media (doc 90253) and sends a file message;
DingTalk uploads through media/upload and sends the robot's sampleFile message; a .docx
draft sent to the DingTalk robot arrives through messageFiles/download."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from bot.channels.dingtalk import adapter as dingtalk
from bot.channels.wecom import adapter as wecom
from models.review import Draft
from tests.dingtalk_support import HttpDriver
from tests.docx_support import make_docx, paragraphs
from tests.fakes.dingtalk import FakeDingTalk
from tests.wecom_office import DRAFT, Office

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_wecom_delivers_the_record_and_the_report_as_files(office: Office) -> None:
    fake = office.fake
    await office.say("wangwu", DRAFT)
    await office.say("wangwu", "登记表 #1")
    assert "审核登记表_稿件1.pdf" in fake.texts("wangwu")[-1]
    (name, content_type, data), = fake.files("wangwu")
    assert (name, content_type) == ("审核登记表_稿件1.pdf", "application/pdf")
    assert data.startswith(b"%PDF")
    upload, = fake.to("/cgi-bin/media/upload")
    assert upload.query["type"] == "file" and upload.body is not None
    assert upload.body["filelength"] == str(len(data))

    await office.say("zhaoqiang", "季度报告 表格")
    (name, content_type, data), = fake.files("zhaoqiang")
    assert name.startswith("季度检查报告_") and name.endswith(".xlsx")
    assert content_type == XLSX and data.startswith(b"PK")


async def test_wecom_file_retry_reuses_the_uploaded_media(office: Office) -> None:
    """A refused send is retried with the media already uploaded (no second upload)."""
    fake = office.fake
    await office.say("wangwu", DRAFT)
    fake.fail_next("/cgi-bin/message/send", -1)  # the text goes first and is refused
    fake.fail_next("/cgi-bin/message/send", -1)
    await office.say("wangwu", "登记表 #1")
    await office.retry_now()
    await office.retry_now()
    assert len(fake.files("wangwu")) == 1
    assert len(fake.to("/cgi-bin/media/upload")) == 1


async def test_dingtalk_delivers_the_record_and_the_report_as_files(
        talk: HttpDriver, fake: FakeDingTalk) -> None:
    await talk.say("wangwu", "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节开幕。")
    await talk.say("wangwu", "登记表 #1")
    assert "审核登记表_稿件1.pdf" in talk.last_text("wangwu")
    (name, file_type, data), = fake.files_sent("wangwu")
    assert (name, file_type) == ("审核登记表_稿件1.pdf", "pdf") and data.startswith(b"%PDF")
    upload, = fake.calls("/media/upload")
    assert upload.body["type"] == "file"

    await talk.say("zhaoqiang", "季度报告 表格")
    (name, file_type, data), = fake.files_sent("zhaoqiang")
    assert name.endswith(".xlsx") and file_type == "xlsx" and data.startswith(b"PK")
    send = [r for r in fake.calls("/v1.0/robot/oToMessages/batchSend")
            if r.body["msgKey"] == "sampleFile"][-1]
    assert set(json.loads(send.body["msgParam"])) == {"mediaId", "fileName", "fileType"}


async def test_a_docx_draft_arrives_through_dingtalk(talk: HttpDriver,
                                                     fake: FakeDingTalk) -> None:
    body = paragraphs(800, per_paragraph=200)
    await talk.say("wangwu", "投稿 黔江文旅")
    assert "Word 文件" in talk.last_text("wangwu")
    code = fake.upload("旅游节.docx", make_docx("濯水古镇秋季旅游节开幕", body))
    assert await talk.post("/dingtalk/callback",
                           fake.robot_file("wangwu", "file", code, "旅游节.docx")) == 200
    receipt = fake.live_card("wangwu")["params"]["markdown"]  # a card (issue 20)
    assert "已收到稿件 #1《濯水古镇秋季旅游节开幕》" in receipt
    draft = await Draft.get(id=1)
    assert all(p in draft.body for p in body)
    download, = fake.calls("/v1.0/robot/messageFiles/download")
    assert download.body["downloadCode"] == code
    assert fake.live_card("zhangming")


async def test_a_download_code_the_platform_will_not_honour(talk: HttpDriver,
                                                           fake: FakeDingTalk) -> None:
    await talk.say("wangwu", "投稿 黔江文旅")
    await talk.post("/dingtalk/callback",
                    fake.robot_file("wangwu", "file", "dlc-gone", "旅游节.docx"))
    assert "重新发送" in talk.last_text("wangwu")
    assert await Draft.all().count() == 0


def _link_path(text: str) -> str:
    url = re.search(r"https?://\S+", text)
    assert url, text
    parts = urlsplit(url.group(0))
    return f"{parts.path}?{parts.query}"


async def test_a_file_over_the_wecom_limit_goes_as_a_link(
        office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing lost: a file WeCom will not take (20 MB, here made small) arrives as a signed
    download link that serves exactly that file and nothing else."""
    monkeypatch.setattr(wecom, "FILE_MAX_BYTES", 100)
    fake = office.fake
    await office.say("wangwu", DRAFT)
    await office.say("wangwu", "登记表 #1")
    assert not fake.to("/cgi-bin/media/upload") and not fake.files("wangwu")
    text = fake.texts("wangwu")[-1]
    assert "超过平台可发送的大小" in text and "审核登记表_稿件1.pdf" in text
    resp = await office.client.get(_link_path(text))
    assert resp.status == 200 and (await resp.read()).startswith(b"%PDF")
    assert "attachment" in resp.headers["Content-Disposition"]
    forged = _link_path(text).replace("/files/", "/files/9")
    assert (await office.client.get(forged)).status == 404
    assert (await office.client.get(_link_path(text)[:-3])).status == 404


async def test_a_file_over_the_dingtalk_limit_goes_as_a_link(
        talk: HttpDriver, fake: FakeDingTalk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dingtalk, "FILE_MAX_BYTES", 100)
    await talk.say("wangwu", "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节开幕。")
    await talk.say("wangwu", "登记表 #1")
    assert not fake.calls("/media/upload") and not fake.files_sent("wangwu")
    text = talk.last_text("wangwu")
    assert "超过平台可发送的大小" in text
    resp = await talk.client.get(_link_path(text))
    assert resp.status == 200 and (await resp.read()).startswith(b"%PDF")
