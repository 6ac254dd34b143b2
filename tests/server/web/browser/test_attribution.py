"""Chromium against the real app: the attribution chart renders, and changing the model,
the grouping or the intervals box swaps the report in place."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from tests.server.web.browser.live_server import DRIVEN, launch_chromium, serving, sign_in
from tests.worlds.attribution import load_attribution_world


@pytest.mark.browser
async def test_settings_update_chart_and_table(sqlite_url: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, load_attribution_world) as (base_url, raw_key):
        await asyncio.wait_for(_drive_browser(base_url, raw_key), timeout=90)


async def _keys(page: Page) -> list[str]:
    return await page.locator("#attribution-table tbody td.name").all_inner_texts()


async def _drive_browser(base_url: str, raw_key: str) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(**DRIVEN)
            await sign_in(page, base_url, raw_key, "/attribution")
            # 5 channels x 7 models
            assert await page.locator("#comparison-chart svg rect.bar").count() == 35
            table = page.locator("#attribution-table")
            assert await table.get_attribute("data-model") == "markov"
            assert await _keys(page) == ["social", "email", "paid", "web", "sms"]

            await page.evaluate("window.__noReload = 'still here'")
            await page.select_option("#model", "last_touch")
            await page.wait_for_selector('#attribution-table[data-model="last_touch"]')
            assert await _keys(page) == ["social", "email", "web", "paid", "sms"]

            await page.select_option("#group_by", "campaign")
            await page.wait_for_function(
                "document.querySelector('#attribution-table td.name') !== null && "
                "[...document.querySelectorAll('#attribution-table td.name')]"
                ".some(cell => cell.textContent === 'c1')")
            assert await _keys(page) == ["social", "c1", "web", "ps-brand", "sms-weekly"]
            await page.check("input[name=intervals]")
            await page.wait_for_selector("#attribution-table th:has-text('95% interval')")
            assert await _keys(page) == ["social", "c1", "web", "ps-brand", "sms-weekly"]
            assert await page.evaluate("window.__noReload") == "still here"
            assert "group_by=campaign" in page.url and "model=last_touch" in page.url
        finally:
            await browser.close()
