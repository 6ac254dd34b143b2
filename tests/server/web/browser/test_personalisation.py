"""Chromium against the real app: a marketer types a template with a typo, sees the lint
message, fixes it and sees it rendered for three very different customers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.server.web.browser.live_server import DRIVEN, launch_chromium, serving, sign_in
from tests.worlds.personalisation import load_shop


@pytest.mark.browser
async def test_typo_lint_fix_and_three_customer_preview(sqlite_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, load_shop, role="analyst") as (base_url, raw_key):
        await asyncio.wait_for(_drive(base_url, raw_key), timeout=60)


async def _drive(base_url: str, raw_key: str) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(**DRIVEN)
            await sign_in(page, base_url, raw_key, "/personalisation")
            await page.evaluate("window.__noReload = 'still here'")
            source = page.locator("#source")
            await source.press_sequentially("Hi {{ first_nme | default('there') }}!",
                                            delay=10)
            lint = page.locator("#lint li")
            await lint.first.wait_for()
            assert ("line 1, column 7: unknown token first_nme"
                    in await lint.first.inner_text())
            await source.fill("Hi {{ first_name | default('there') }}")
            await source.press("End")
            await source.press_sequentially("!", delay=10)
            await page.locator("#lint-clean").wait_for()
            await page.wait_for_function(
                "document.querySelectorAll('#preview .rendered').length === 3")
            html = await page.locator("#preview .rendered").all_text_contents()
            assert html == ["Hi Cy!", "Hi Bo!", "Hi there!"]
            framed = page.frame_locator("#preview-u4 iframe").locator("body")
            assert await framed.inner_text() == "Hi there!"
            why = await page.locator("#preview-u3 .rules-why").inner_text()
            assert "Any buyer" in why and "purchases >= 1 held" in why
            assert await page.evaluate("window.__noReload") == "still here"
        finally:
            await browser.close()
