"""Chromium against the real app: sign in, then search narrows the table in place."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.server.web.browser.live_server import DRIVEN, launch_chromium, serving
from tests.server.web.conftest import seed_campaigns


@pytest.mark.browser
async def test_search_narrows_table_without_reload(sqlite_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, seed_campaigns) as (base_url, raw_key):
        await asyncio.wait_for(_drive_browser(base_url, raw_key), timeout=60)


async def _drive_browser(base_url: str, raw_key: str) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(**DRIVEN)
            await page.goto(f"{base_url}/campaigns")
            assert page.url == f"{base_url}/login?next=%2Fcampaigns"
            await page.fill("#api_key", raw_key)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base_url}/campaigns")
            rows = page.locator("#campaigns-table tbody tr")
            assert await rows.count() == 3

            # Survives only if the page is never reloaded.
            await page.evaluate("window.__noReload = 'still here'")
            await page.locator("#search").press_sequentially("welcome", delay=30)
            await page.wait_for_function(
                "document.querySelectorAll('#campaigns-table tbody tr').length === 1")
            assert await rows.locator("td.name").all_inner_texts() == ["Welcome Series 1"]
            assert await page.evaluate("window.__noReload") == "still here"
            assert page.url.startswith(f"{base_url}/campaigns?search=welcome")
        finally:
            await browser.close()
