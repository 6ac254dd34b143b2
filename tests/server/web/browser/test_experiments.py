"""Chromium against the real app: the planner answers as you type, and the SRM banner is
the first thing on a broken experiment's page."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from tests.server.web.browser.live_server import DRIVEN, launch_chromium, serving, sign_in
from tests.worlds.experiments import load_experiment_world


@pytest.mark.browser
async def test_planner_updates_and_srm_banner_shows(sqlite_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, load_experiment_world, role="analyst") as (base_url, raw_key):
        await asyncio.wait_for(_drive_browser(base_url, raw_key), timeout=60)


async def _sign_in(page: Page, base_url: str, raw_key: str, target: str) -> None:
    await sign_in(page, base_url, raw_key, target)


async def _drive_browser(base_url: str, raw_key: str) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(**DRIVEN)
            await _sign_in(page, base_url, raw_key, "/experiments/plan")
            per_variant = page.locator("#per-variant")
            assert await per_variant.inner_text() == "31,218"
            await page.evaluate("window.__noReload = 'still here'")

            # A 20% lift needs fewer recipients than a 10% one; typing alone updates it.
            await page.fill("#effect", "")
            await page.locator("#effect").press_sequentially("20", delay=40)
            await page.wait_for_function(
                "document.querySelector('#per-variant').innerText === '8,143'")
            await page.locator("#variants").fill("3")
            await page.wait_for_function(
                "document.querySelector('#per-variant').innerText === '9,861'")
            assert await page.locator("#days").inner_text() == "3"
            assert await page.evaluate("window.__noReload") == "still here"
            assert "effect=20" in page.url and "variants=3" in page.url

            await page.goto(f"{base_url}/campaigns/srm/experiment")
            banner = page.get_by_role("alert").filter(has_text="Sample ratio mismatch")
            await banner.wait_for(state="visible")
            assert await banner.get_attribute("id") == "experiment-warnings"
            banner_box = await banner.bounding_box()
            verdict_box = await page.locator("#verdict").bounding_box()
            assert banner_box is not None and verdict_box is not None
            assert banner_box["y"] < verdict_box["y"]
            colour = await banner.evaluate("el => getComputedStyle(el).backgroundColor")
            assert colour == "rgb(180, 35, 24)"
        finally:
            await browser.close()
