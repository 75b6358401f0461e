"""A real headless Chromium drives /sim/: the editor submits, the reviewer taps 通过,
and the approver's card appears. Needs Debian's chromium and chromium-driver
(.ci/run installs them); skipped without them unless GOVMEDIA_REQUIRE_BROWSER=1."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from bot.app import create_app
from bot.config import Settings

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--disable-dev-shm-usage")
WAIT = 15


def _require_browser() -> None:
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    if os.environ.get("GOVMEDIA_REQUIRE_BROWSER") == "1":
        pytest.fail("chromium/chromedriver missing but GOVMEDIA_REQUIRE_BROWSER=1")
    pytest.skip("chromium and chromedriver are not installed")


def _drive(base: str, profile: Path) -> list[str]:
    """Blocking Selenium session; returns what the approver's page showed."""
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager reach out
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    wait = WebDriverWait(driver, WAIT)
    try:
        driver.get(base + "/sim/")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#person option")))
        Select(driver.find_element(By.ID, "person")).select_by_value("wangwu")
        box = driver.find_element(By.ID, "input")
        box.send_keys("投稿 黔江文旅\n浏览器里的稿件\n这是从模拟器网页提交的正文。")
        driver.find_element(By.ID, "send").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "已收到稿件 #1"))

        Select(driver.find_element(By.ID, "person")).select_by_value("zhangming")
        approve = wait.until(ec.element_to_be_clickable(
            (By.CSS_SELECTOR, '.card button[data-key="approve:1:2:1"]')))
        approve.click()
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".card .status"),
                                                    "已通过 · 张明"))

        Select(driver.find_element(By.ID, "person")).select_by_value("liufang")
        card = wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, '.card button[data-key="approve:1:3:1"]')))
        assert card.text == "通过"
        return [c.text for c in driver.find_elements(By.CSS_SELECTOR, ".card h3")]
    finally:
        driver.quit()


async def test_review_in_a_real_browser(aiohttp_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _require_browser()
    settings = Settings(database_url=f"sqlite://{tmp_path / 'browser.db'}",
                        outbox_poll_seconds=0.05)
    server = await aiohttp_server(create_app(settings))
    base = f"http://127.0.0.1:{server.port}"
    titles = await asyncio.to_thread(_drive, base, tmp_path / "chrome-profile")
    assert titles == ["待审稿件 #1：浏览器里的稿件"]
