"""The simulator at phone width in a real headless Chromium (issue 16 point 9): the header
wraps instead of pushing the page sideways, the review card shows all twelve checklist points,
and the reason card's buttons wrap inside the screen. Needs Debian's chromium and
chromium-driver, like tests/test_browser.py (skipped without them unless required)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.config import Settings
from tests.test_browser import CHROMEDRIVER, CHROMIUM, FLAGS, WAIT, _require_browser

pytestmark = pytest.mark.browser
PHONE = (375, 740)  # CSS pixels of a common phone

# what the page measures: overflow to the side, and whether the checklist is cut
MEASURE = """
const card = [...document.querySelectorAll('.card')].pop();
const body = card.querySelector('.body');
const buttons = [...card.querySelectorAll('.buttons button')];
return {
  page: document.documentElement.scrollWidth, width: window.innerWidth,
  header: document.querySelector('header').scrollWidth,
  headerBox: document.querySelector('header').clientWidth,
  bodyClipped: body ? body.scrollHeight - body.clientHeight : 0,
  text: card.innerText,
  rightmost: Math.max(0, ...buttons.map(b => b.getBoundingClientRect().right)),
};
"""


def _drive(base: str, profile: Path) -> list[dict[str, Any]]:
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={PHONE[0]},{PHONE[1]}"):
        options.add_argument(flag)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 2}})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    wait = WebDriverWait(driver, WAIT)
    try:
        driver.get(base + "/sim")  # as people type it: redirected to /sim/
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#person option")))
        Select(driver.find_element(By.ID, "person")).select_by_value("wangwu")
        driver.find_element(By.ID, "input").send_keys(
            "投稿 黔江文旅\n手机上的稿件\n这是在手机宽度下提交的正文。")
        driver.find_element(By.ID, "send").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "已收到稿件 #1"))
        Select(driver.find_element(By.ID, "person")).select_by_value("zhangming")
        reject = wait.until(ec.element_to_be_clickable(
            (By.CSS_SELECTOR, '.card button[data-key="reject:1:2:1"]')))
        review = driver.execute_script(MEASURE)
        reject.click()
        wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, '.card button[data-key^="rejectwith:1:2:1:"]')))
        return [review, driver.execute_script(MEASURE)]
    finally:
        driver.quit()


async def test_the_simulator_fits_a_phone(aiohttp_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _require_browser()
    settings = Settings(database_url=f"sqlite://{tmp_path / 'phone.db'}",
                        outbox_poll_seconds=0.05)
    server = await aiohttp_server(create_app(settings))
    base = f"http://127.0.0.1:{server.port}"
    review, reasons = await asyncio.to_thread(_drive, base, tmp_path / "chrome-profile")
    for seen in (review, reasons):
        assert seen["page"] <= seen["width"], seen  # nothing pushes the page sideways
        assert seen["header"] <= seen["headerBox"], seen
        assert seen["rightmost"] <= seen["width"], seen
    assert review["bodyClipped"] <= 1 and "12. " in review["text"]  # all twelve points
    assert "事实或数据需核实" in reasons["text"] and "来源未注明或不规范" in reasons["text"]
