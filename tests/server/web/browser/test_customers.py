"""Chromium against the real app: the segment builder counts members as you type."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import Engine

from server.ingest.customers import refresh_everyone
from tests.server.ingest.conftest import load_world
from tests.server.web.browser.live_server import DRIVEN, launch_chromium, serving, sign_in


def _shop(engine: Engine) -> None:
    load_world(engine)
    refresh_everyone(engine)


@pytest.mark.browser
async def test_the_builder_counts_members_while_typing(sqlite_url: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, _shop) as (base_url, raw_key):
        await asyncio.wait_for(_drive(base_url, raw_key), timeout=60)


async def _drive(base_url: str, raw_key: str) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(**DRIVEN)
            await sign_in(page, base_url, raw_key, "/segments")
            await page.evaluate("window.__noReload = 'still here'")
            await page.locator("#definition").press_sequentially("purchases >= 2", delay=20)
            await page.wait_for_function(
                "document.querySelector('#preview-count strong')?.textContent === '1'")
            await page.locator("#definition").fill("purchses >= 2")
            await page.locator("#definition").press("End")
            await page.locator("#definition").press_sequentially(" ", delay=20)
            error = page.locator("#preview-error")
            await error.wait_for()
            assert "did you mean purchases?" in await error.inner_text()
            assert await page.evaluate("window.__noReload") == "still here"
        finally:
            await browser.close()
