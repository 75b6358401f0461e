"""Issue 12, done: a 5,000-character draft with three pictures, sent as a .docx through
WeCom (fake WeCom on loopback, real crypto), reaches the reviewer with every character and
picture one tap away (the card's jump URL opens the draft page), and a resubmission shows
what changed. Also pictures as image messages and a long text in several messages."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.clock import utcnow
from bot.closer import close_due
from bot.keys import dispatcher_key
from models.intake import Compose
from models.review import Draft, DraftState
from tests.docx_support import make_docx, paragraphs, png
from tests.fakes.wecom import FakeWeCom, WeComSender
from tests.wecom_office import Office, wecom_settings

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = paragraphs(5000, per_paragraph=150)
PICTURES = [png(21, 640, 420), png(22, 420, 640), png(23, 800, 300)]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def visible(page: str) -> str:
    return html.unescape(re.sub(r"<sup>\d+</sup>|<[^>]+>", "", page))


async def send_file(office: Office, user: str, name: str, data: bytes) -> str:
    media_id = office.fake.upload(name, data, DOCX_TYPE)
    await office.post(office.wecom.media_xml(user, "file", media_id, name))
    return media_id


async def open_card(client: TestClient, card: dict) -> str:  # type: ignore[type-arg]
    """Tap the card's 查看全文 (its jump URL) as the phone would."""
    (jump,) = card["jump_list"]
    assert jump["type"] == 1 and jump["title"] == "查看全文"
    resp = await client.get(path_of(jump["url"]))
    assert resp.status == 200
    return await resp.text()


async def test_a_docx_with_pictures_reaches_the_reviewer_whole(office: Office) -> None:
    fake, client = office.fake, office.client
    data = make_docx("濯水古镇秋季旅游节开幕", BODY, pictures=PICTURES, every=10)
    await office.say("wangwu", "投稿 黔江文旅")
    assert "Word 文件" in fake.texts("wangwu")[-1]
    await send_file(office, "wangwu", "旅游节.docx", data)
    receipt = fake.texts("wangwu")[-1]
    assert "已收到稿件 #1《濯水古镇秋季旅游节开幕》" in receipt and "图片 3 张" in receipt
    assert fake.to("/cgi-bin/media/get")[0].query["media_id"].startswith("media-")

    # the reviewer: an excerpt that says what it leaves out, and the card one tap away
    card = office.live_card("zhangming")
    text = fake.texts("zhangming")[-1]
    body = (await Draft.get(id=1)).body
    assert len(body) >= 5000 and body.count("［图") == 3
    assert "截断" not in text and f"正文共 {len(body)} 字" in text
    assert "图片 3 张" in text and "查看全文和图片" in text
    page = await open_card(client, card)
    shown = visible(page)
    for paragraph in BODY:  # every character
        assert paragraph in shown
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == 3
    for src, picture in zip(images, PICTURES, strict=True):  # every picture
        resp = await client.get(html.unescape(src))
        assert resp.status == 200 and await resp.read() == picture

    # returned, then resubmitted as a new .docx: the reviewer sees what changed
    await office.click("zhangming", card, "退回")
    await office.say("zhangming", "退回 #1 第二段请补充具体日期；图2说明文字有误。")
    assert "第二段请补充具体日期；图2说明文字有误。" in fake.texts("wangwu")[-1]
    changed = [*BODY]
    changed[1] = "10月1日上午，" + changed[1]
    del changed[5]
    await office.say("wangwu", "修改 #1")
    await send_file(office, "wangwu", "旅游节-修改.docx",
                    make_docx("濯水古镇秋季旅游节开幕", changed, pictures=PICTURES, every=10))
    assert "第 2 版已提交" in fake.texts("wangwu")[-1]
    card2 = office.live_card("zhangming")
    text2 = fake.texts("zhangming")[-1]
    assert re.search(r"与退回的第 1 版相比，新增 \d+ 字、删除 \d+ 字", text2)
    assert "v1 · 二审二校 · 张明（科室负责人）· 退回" in text2
    page2 = await open_card(client, card2)
    assert "<ins>10月1日上午，</ins>" in page2 and f"<del>{BODY[5]}" in page2
    assert (await Draft.get(id=1)).version == 2


async def test_pictures_sent_after_the_text(wecom_fake: FakeWeCom, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    """On WeCom the join window is on by default: text in two messages, then two pictures."""
    settings = dataclasses.replace(wecom_settings(wecom_fake.base), draft_join_seconds=-1)
    assert settings.join_seconds == 10
    client = await aiohttp_client(create_app(settings))
    office = Office(client, wecom_fake, WeComSender(client))
    first, second = "".join(paragraphs(1500)), "接着上一条：" + "".join(paragraphs(600))
    await office.say("wangwu", f"投稿 黔江文旅\n秋季旅游节开幕\n{first}")
    assert "10 秒内" in wecom_fake.texts("wangwu")[-1]
    await office.say("wangwu", second)
    assert "已收到 2 条消息" in wecom_fake.texts("wangwu")[-1]
    for seed in (31, 32):
        media_id = wecom_fake.upload("IMG.png", png(seed), "image/png")
        await office.post(office.wecom.media_xml("wangwu", "image", media_id))
    assert "图2" in wecom_fake.texts("wangwu")[-1]
    assert not wecom_fake.cards("zhangming")
    await Compose.filter(closed_at__isnull=True).update(closes_at=utcnow() - timedelta(seconds=1))
    assert await close_due(client.app[dispatcher_key].feed) == 1
    await office.settle()
    assert "共收到 2 条消息" in wecom_fake.texts("wangwu")[-1]
    card = office.live_card("zhangming")
    assert "图片 2 张" in wecom_fake.texts("zhangming")[-1]
    page = await open_card(client, card)
    assert first[-30:] in visible(page) and second[-30:] in visible(page)
    assert len(re.findall(r"<img ", page)) == 2
    assert (await Draft.get(id=1)).state == DraftState.REVIEWING


@pytest.mark.parametrize(("errcode", "expected"), [(40007, "重新发送")])
async def test_media_the_platform_will_not_give(office: Office, errcode: int,
                                                expected: str) -> None:
    await office.post(office.wecom.media_xml("wangwu", "file", "media-gone", "a.docx"))
    assert expected in office.fake.texts("wangwu")[-1]
    assert await Draft.all().count() == 0


async def test_a_picture_over_the_limit_is_refused_without_a_draft(
        wecom_fake: FakeWeCom, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    """media/get stops reading past the largest file taken; the sender is told the limit."""
    settings = dataclasses.replace(wecom_settings(wecom_fake.base), picture_max_mb=1,
                                   draft_file_max_mb=1)
    client = await aiohttp_client(create_app(settings))
    office = Office(client, wecom_fake, WeComSender(client))
    await office.say("wangwu", "投稿 黔江文旅")
    big = png(41) + b"\0" * (2 * 1024 * 1024)
    media_id = wecom_fake.upload("IMG.png", big, "image/png")
    await office.post(office.wecom.media_xml("wangwu", "image", media_id))
    assert "最多 1 MB" in wecom_fake.texts("wangwu")[-1]
    assert await Draft.all().count() == 0
