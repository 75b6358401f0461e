"""The draft page in a real headless Chromium at phone width (issue 12): a reviewer opens
the card's link inside the messaging app on a phone. The page must fit the screen (no
sideways scrolling), show the pictures, and read at a phone's text size. A screenshot is
written for people to look at (GOVMEDIA_SCREENSHOT_DIR, else the test's tmp dir)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import FormData

from bot.app import create_app
from bot.channels.sim.guard import UPLOAD_HEADERS as SIM_UPLOAD
from bot.config import Settings
from tests.docx_support import make_docx, paragraphs, png
from tests.test_app import settle
from tests.test_browser import CHROMEDRIVER, CHROMIUM, FLAGS, WAIT, _require_browser

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844, "pixelRatio": 2.0}
SCREENS = 8
# WeCom's in-app browser on Android announces itself like this (wxwork/… MicroMessenger/…)
IN_APP_UA = ("Mozilla/5.0 (Linux; Android 13; V2241A) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Version/4.0 Chrome/109.0.5414.86 Mobile Safari/537.36 wxwork/4.1.20 "
             "MicroMessenger/7.0.1 NetType/WIFI Language/zh ColorScheme/Light")


def _look(url: str, profile: Path, shot: Path) -> dict[str, Any]:
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE,
                                                        "userAgent": IN_APP_UA})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.get(url)
        WebDriverWait(driver, WAIT).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
        # the pictures load lazily, as a reader scrolls to them
        for image in driver.find_elements(By.TAG_NAME, "img"):
            driver.execute_script("arguments[0].scrollIntoView()", image)
            WebDriverWait(driver, WAIT).until(lambda d, i=image: d.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth > 0", i))
        driver.execute_script("window.scrollTo(0, 0)")
        facts = driver.execute_script("""
            const body = document.querySelector('.body p');
            return {
              viewport: window.innerWidth,
              scrollWidth: document.documentElement.scrollWidth,
              images: [...document.images].map(
                i => [i.naturalWidth, i.getBoundingClientRect().width]),
              fontPx: parseFloat(getComputedStyle(body).fontSize),
              marks: document.querySelectorAll('mark').length,
              ins: document.querySelectorAll('ins').length,
              checklist: document.querySelectorAll('.checklist li').length,
              title: document.querySelector('h1').innerText,
            };""")
        # the whole page, as tall as it is, at the phone's width
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE["width"], "height": min(int(height), 6000), "deviceScaleFactor": 1,
            "mobile": True})
        driver.save_screenshot(str(shot))
        # and screen by screen, as a phone shows it
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE["width"], "height": PHONE["height"], "deviceScaleFactor": 1,
            "mobile": True})
        for n in range(min(SCREENS, -(-int(height) // PHONE["height"]))):
            driver.execute_script(f"window.scrollTo(0, {n * PHONE['height']})")
            driver.save_screenshot(str(shot.with_name(f"{shot.stem}_{n + 1}.png")))
        return facts
    finally:
        driver.quit()


async def _post_file(client, user: str, name: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
    form = FormData()
    form.add_field("user", user)
    form.add_field("file", data, filename=name)
    assert (await client.post("/sim/api/upload", data=form, headers=SIM_UPLOAD)).status == 200
    await settle(client)


async def test_draft_page_on_a_phone(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _require_browser()
    settings = Settings(database_url=f"sqlite://{tmp_path / 'phone.db'}",
                        outbox_poll_seconds=0.05, draft_join_seconds=0)
    client = await aiohttp_client(create_app(settings))
    text = paragraphs(1500, per_paragraph=120)
    text[1] = "如有疑问请联系王某，电话13812345678。" + text[1]
    pictures = [png(1, 640, 400), png(2, 400, 600), png(3, 800, 300)]
    first = make_docx("濯水古镇秋季旅游节开幕", text, pictures=pictures, every=3)
    await _post_file(client, "wangwu", "黔江文旅-旅游节.docx", first)
    reason = "退回 #1 第二段电话请改为单位咨询电话；另：标题加上日期"
    await client.post("/sim/api/send", json={"user": "zhangming", "text": reason})
    await settle(client)
    text[1] = "咨询电话：023-79223458。" + text[1].split("。", 1)[1]
    text[4] = "报名请联系王某，手机13812345678。" + text[4]  # a finding to mark in place
    second = make_docx("10月1日濯水古镇秋季旅游节开幕", text, pictures=pictures, every=3)
    await client.post("/sim/api/send", json={"user": "wangwu", "text": "修改 #1"})
    await settle(client)
    await _post_file(client, "wangwu", "修改稿.docx", second)
    box = await (await client.get("/sim/api/messages", params={"user": "zhangming"})).json()
    card = [m for m in box if m["type"] == "card" and m["buttons"]][-1]
    parts = urlsplit(card["url"])
    url = f"http://127.0.0.1:{client.port}{parts.path}?{parts.query}"
    shot = Path(os.environ.get("GOVMEDIA_SCREENSHOT_DIR", tmp_path)) / "draft_page_phone.png"
    facts = await asyncio.to_thread(_look, url, tmp_path / "chrome-profile", shot)
    assert facts["scrollWidth"] <= facts["viewport"] == PHONE["width"]  # no sideways scrolling
    assert len(facts["images"]) == 3
    assert all(natural > 0 and 0 < shown <= PHONE["width"] for natural, shown in facts["images"])
    assert facts["fontPx"] >= 16  # phone text size
    assert facts["ins"] >= 1 and facts["checklist"] == 12 and facts["marks"] >= 1
    assert facts["title"].startswith("10月1日")
    assert shot.stat().st_size > 10_000
