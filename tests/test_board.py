"""The supervisor's board: `看板` gives a signed, short-lived link for the person who asked;
the page shows their units live and read-only; no link, no data. Driven in the real
headless Chromium (Debian's chromium and chromium-driver, as tests/test_browser.py), with
a screenshot kept in the test's directory (GOVMEDIA_SCREENSHOTS=DIR keeps a copy there)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot import links
from bot.app import create_app
from bot.clock import utcnow
from bot.config import Settings
from handlers.reports.board import BOARD_TARGET
from tests.conftest import Harness
from tests.test_browser import CHROMEDRIVER, CHROMIUM, FLAGS, WAIT, _require_browser

DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"


async def _said(bot: Harness, user: str, text: str) -> str:
    """The bot's answer, also when the app's own outbox sender delivered it (it runs too)."""
    before = await bot._last_id(user)
    reply = await bot.say(user, text)
    for _ in range(400):
        if reply:
            return reply
        await asyncio.sleep(0.05)
        reply = await bot.reply_after(user, before)
    return reply


async def _office(settings: Settings) -> str:
    """A draft waiting at 二审 and a relay task open; the supervisor's board link."""
    bot = Harness(settings)
    await _said(bot, "wangwu", DRAFT)
    await _said(bot, "zhaoqiang", "转载 https://www.gov.cn/xinwen/a.html 重要通知")
    reply = await _said(bot, "zhaoqiang", "看板")
    assert "您的看板" in reply
    found = re.search(r"(http\S+/board/\?t=\S+)", reply)
    assert found is not None
    return found.group(1)


async def _signed(settings: Settings, person: str, target: str = BOARD_TARGET,
                  hours: float = 1) -> str:
    secret = await links.secret_for(settings)
    return links.sign(secret, person, target, utcnow() + timedelta(hours=hours))


async def test_no_link_no_data(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite://{tmp_path / 'board.db'}",
                        outbox_poll_seconds=0.05, scheduler_enabled=False)
    client: TestClient = await aiohttp_client(create_app(settings))
    link = await _office(settings)
    token = link.split("t=", 1)[1]
    good = await client.get(f"/board/?t={token}")
    page = await good.text()
    assert good.status == 200 and "黔江区人民政府办公室及下属" in page and "秋季旅游节开幕" in page
    assert "default-src 'none'" in good.headers["Content-Security-Policy"]
    assert good.headers["Cache-Control"] == "private, no-store"
    for query, status in (("", 404), ("?t=garbage", 404), (f"?t={token[:-2]}xx", 404)):
        refused = await client.get(f"/board/{query}")
        text = await refused.text()
        assert refused.status == status and "秋季旅游节" not in text and "看板" in text
    expired = await _signed(settings, "zhaoqiang", hours=-1)
    assert (await client.get(f"/board/?t={expired}")).status == 410
    editor = await _signed(settings, "wangwu")  # a genuine link, but not a supervisor's
    refused = await client.get(f"/board/?t={editor}")
    assert refused.status == 403 and "秋季旅游节" not in await refused.text()
    draft_link = await _signed(settings, "zhaoqiang", target="draft:1")  # another page's
    assert (await client.get(f"/board/?t={draft_link}")).status == 404
    # only supervisors are given a link
    bot = Harness(settings)
    assert "主管单位的角色" in await _said(bot, "wangwu", "看板")
    font = await client.get("/board/font")
    assert font.status == 200 and (await font.read())[:4] == b"OTTO"


def _system_has_chinese_font() -> bool:
    tool = shutil.which("fc-list")
    if tool is None:
        return False
    import subprocess

    return bool(subprocess.run([tool, ":lang=zh"], capture_output=True, text=True,
                               check=False).stdout.strip())


def _drive(url: str, profile: Path, shot: Path) -> dict[str, object]:
    """Blocking Selenium session on the board; returns what the page showed."""
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager reach out
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    wait = WebDriverWait(driver, WAIT)
    try:
        driver.get(url)
        wait.until(ec.presence_of_element_located((By.ID, "freshness")))
        # the Chinese font: the system's if it has one, else the bot's own copy
        wait.until(lambda d: d.execute_script(
            "return document.fonts.status === 'loaded'"))
        seen = {
            "title": driver.find_element(By.TAG_NAME, "h1").text,
            "tiles": [t.text for t in driver.find_elements(By.CSS_SELECTOR, ".tile")],
            "waiting": driver.find_element(By.ID, "waiting").text,
            "relays": driver.find_element(By.ID, "relays").text,
            "font": driver.execute_script(
                "return document.fonts.check('16px GovmediaSC', '黔江') && "
                "[...document.fonts].some(f => f.family.includes('GovmediaSC') "
                "&& f.status === 'loaded')"),
            "links": len(driver.find_elements(By.CSS_SELECTOR, "a[href^='http']")),
        }
        driver.save_screenshot(str(shot))
        return seen
    finally:
        driver.quit()


@pytest.mark.browser
async def test_board_in_a_real_browser(aiohttp_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _require_browser()
    settings = Settings(database_url=f"sqlite://{tmp_path / 'board.db'}",
                        outbox_poll_seconds=0.05, scheduler_enabled=False)
    server = await aiohttp_server(create_app(settings))
    link = await _office(settings)
    path = link.split("/board/", 1)[1]
    shot = tmp_path / "board.png"
    seen = await asyncio.to_thread(_drive, f"http://127.0.0.1:{server.port}/board/{path}",
                                   tmp_path / "chrome-profile", shot)
    assert seen["title"] == "黔江区人民政府办公室及下属 10 个单位"
    assert any("单项否决风险" in t for t in seen["tiles"])
    assert "秋季旅游节开幕" in seen["waiting"] and "张明" in seen["waiting"]
    assert "重要通知" in seen["relays"] and "小时" in seen["relays"]
    assert seen["links"] == 0  # read-only: nothing to click, nothing from elsewhere
    if not _system_has_chinese_font():
        assert seen["font"], "the page fell back to no Chinese font (empty boxes)"
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("GOVMEDIA_SCREENSHOTS")
    if keep:
        shutil.copy(shot, Path(keep) / "board.png")
