"""The whole draft behind the card (issue 12, R-REV-1): the excerpt on the card says what
it leaves out and links the rest; the signed page shows every character, the pre-check
findings in place, the pictures, the history and the 12-point checklist; a resubmission
shows what changed."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot import links
from bot import web as pages
from bot.clock import utcnow
from bot.policy import load_policy
from handlers.review.content import draft_target
from tests.conftest import Harness
from tests.docx_support import make_docx, paragraphs, png

LONG = paragraphs(2450, per_paragraph=40)  # 2,450 characters in 60-odd paragraphs


@pytest.fixture
async def page(bot: Harness, aiohttp_client) -> TestClient:  # type: ignore[no-untyped-def]
    """The bot's pages on loopback, over the test database the harness uses."""
    app = web.Application()
    app.router.add_routes(pages.routes(bot.settings, load_policy(bot.settings.policy)))
    return await aiohttp_client(app)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def text_of(page_html: str) -> str:
    """The page's visible text, tags removed (marks and breaks do not split words)."""
    return html.unescape(re.sub(r"<sup>\d+</sup>|<[^>]+>", "", page_html))


async def submit_long(bot: Harness) -> dict:  # type: ignore[type-arg]
    await bot.say("wangwu", "投稿 黔江文旅\n秋季旅游节开幕\n" + "\n".join(LONG))
    return await bot.live_card("zhangming")


async def test_card_keeps_an_excerpt_and_says_where_the_rest_is(bot: Harness) -> None:
    card = await submit_long(bot)
    body = card["body_md"]
    total = len("\n".join(LONG))
    assert f"正文共 {total} 字，以上是开头" in body and "查看全文" in body
    assert "截断" not in body and LONG[-1] not in body
    assert card["url"] and card["url"] in body
    receipt = (await bot.replies("wangwu"))[-1]  # a card with 催办 / 撤回 (issue 20)
    assert "已收到稿件 #1" in receipt and f"正文 {total} 字" in receipt


async def test_page_shows_every_character_findings_history_checklist(
        bot: Harness, page: TestClient) -> None:
    await bot.say("wangwu", "投稿 黔江文旅\n秋季旅游节开幕\n联系人王某，电话13812345678。\n"
                  + "\n".join(LONG))
    card = await bot.live_card("zhangming")
    resp = await page.get(path_of(card["url"]))
    assert resp.status == 200
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in resp.headers["Cache-Control"]
    got = await resp.text()
    visible = text_of(got)
    for paragraph in LONG:
        assert paragraph in visible
    # the mobile number is marked where it stands, with its finding number
    assert re.search(r'<mark class="(error|warn)" id="m1">13812345678<sup>1</sup></mark>', got)
    for item in load_policy(bot.settings.policy).review.checklist:  # rule R-REV-6
        assert f"<li>{item}</li>" in got
    assert "第 1 版 · 一审一校 · 王五" in visible
    assert '<meta name="viewport"' in got


async def test_link_is_scoped_to_its_person_and_target_and_expires(
        bot: Harness, page: TestClient) -> None:
    card = await submit_long(bot)
    url = urlsplit(card["url"])
    token = parse_qs(url.query)["t"][0]
    assert (await page.get(f"/drafts/1?t={token[:-3]}xyz")).status == 404  # tampered
    assert (await page.get("/drafts/1")).status == 404  # no token
    secret = await links.secret_for(bot.settings)
    # sunli (another unit's editor) may not see this draft even with a genuine link
    other = links.sign(secret, "sunli", draft_target(1), utcnow() + timedelta(hours=1))
    refused = await page.get(f"/drafts/1?t={other}")
    assert refused.status == 403 and "全文 #1" in await refused.text()
    # a link for draft 1 does not open draft 2
    await bot.say("wangwu", "投稿 黔江文旅\n第二篇\n正文。")
    assert (await page.get(f"/drafts/2?t={token}")).status == 404
    old = links.sign(secret, "zhangming", draft_target(1), utcnow() - timedelta(seconds=1))
    expired = await page.get(f"/drafts/1?t={old}")
    assert expired.status == 410 and "全文 #1" in await expired.text()
    # the author, the unit's chief and the supervisor above the unit may open it
    for person in ("wangwu", "chenwei", "zhaoqiang"):
        ok = links.sign(secret, person, draft_target(1), utcnow() + timedelta(hours=1))
        assert (await page.get(f"/drafts/1?t={ok}")).status == 200


async def test_full_text_command_gives_a_fresh_link(bot: Harness, page: TestClient) -> None:
    await submit_long(bot)
    reply = await bot.say("zhangming", "全文 #1")
    link = re.search(r"https?://\S+", reply)
    assert link and (await page.get(path_of(link[0]))).status == 200
    assert "不能查看全文" in await bot.say("sunli", "全文 #1")
    assert "全文 #稿件号" in await bot.say("zhangming", "全文")


async def test_resubmission_shows_what_changed(bot: Harness, page: TestClient) -> None:
    first = LONG[:10]
    await bot.say("wangwu", "投稿 黔江文旅\n秋季旅游节开幕\n" + "\n".join(first))
    await bot.say("zhangming", "退回 #1 第三段日期有误，请核实。")
    changed = [*first[:2], first[2].replace("第3段", "第三段（已核实：10月2日）"), *first[3:9]]
    await bot.say("wangwu", "修改 #1\n秋季旅游节开幕\n" + "\n".join(changed))
    card = await bot.live_card("zhangming")
    inserted = len("三段（已核实：10月2日）") - len("3段")
    said = r"本版修改\*\*：与退回的第 1 版相比，新增 \d+ 字、删除 \d+ 字"
    assert re.search(said, card["body_md"])
    assert "v1 · 二审二校 · 张明（科室负责人）· 退回" in card["body_md"]
    got = await (await page.get(path_of(card["url"]))).text()
    assert "<ins>" in got and "<del>" in got
    assert f"{first[9]}</del>" in got  # the dropped last paragraph is marked deleted
    assert "第三段日期有误，请核实。" in got  # the return reason, as written
    assert inserted > 0


async def test_docx_with_pictures_in_the_simulator(bot: Harness, page: TestClient) -> None:
    pictures = [png(1), png(2), png(3)]
    data = make_docx("濯水古镇秋季旅游节开幕", paragraphs(900), pictures=pictures, every=4,
                     table=[["项目", "人次"], ["游客", "3万"]])
    reply = await bot.upload("wangwu", "黔江文旅-旅游节.docx", data)
    assert "已收到稿件 #1《濯水古镇秋季旅游节开幕》" in reply and "图片 3 张" in reply
    card = await bot.live_card("zhangming")
    assert "图片 3 张" in card["body_md"] and "查看全文和图片" in card["body_md"]
    got = await (await page.get(path_of(card["url"]))).text()
    sources = re.findall(r'<img src="([^"]+)"', got)
    assert len(sources) == 3
    for src, original in zip(sources, pictures, strict=True):
        resp = await page.get(html.unescape(src))
        assert resp.status == 200 and resp.content_type == "image/png"
        assert await resp.read() == original
    assert "项目 | 人次" in text_of(got)
    docx_link = re.search(r'<a href="(/drafts/1/files/\d+\?t=[^"]+)">黔江文旅-旅游节.docx</a>', got)
    assert docx_link
    resp = await page.get(html.unescape(docx_link[1]))
    assert resp.status == 200 and await resp.read() == data
