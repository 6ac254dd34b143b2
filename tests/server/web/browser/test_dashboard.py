"""Chromium against the real app: the dashboard draws its charts, a new period updates
the cards without a reload, and a campaign's funnel shows its metrics."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from tests.server.web.browser.live_server import DRIVEN, launch_chromium, serving, sign_in
from tests.worlds.dashboard import load_world


@pytest.mark.browser
async def test_dashboard_in_chromium(sqlite_url: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, load_world) as (base_url, raw_key):
        await asyncio.wait_for(_drive(base_url, raw_key), timeout=90)


async def _sign_in(page: Page, base_url: str, raw_key: str) -> None:
    await sign_in(page, base_url, raw_key, "/login", landing="/campaigns")


async def _drive(base_url: str, raw_key: str) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, **DRIVEN)
            await _sign_in(page, base_url, raw_key)
            await _charts_and_period(page, base_url)
            await _funnel(page, base_url)
        finally:
            await browser.close()


async def _charts_and_period(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/dashboard?from=2026-03-01&to=2026-03-31")
    trend = page.locator("#trend-charts svg.line-chart")
    assert await trend.count() == 10
    box = await trend.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert await page.locator("#trend-charts polyline").count() > 0
    assert await page.locator("#providers svg.bar-chart rect.bar").count() == 9
    assert await page.locator("#segments svg.bar-chart rect.bar").count() == 4
    assert await page.inner_text("#card-sent") == "12"
    card = page.locator('[data-metric="DELIVERY_RATE"]')
    assert await card.get_attribute("data-status") == "bad"
    colour = await card.evaluate("el => getComputedStyle(el).borderLeftColor")
    assert colour == "rgb(192, 38, 45)"

    # Survives only if the page is never reloaded.
    await page.evaluate("window.__noReload = 'still here'")
    await page.fill("#from", "2026-03-09")
    await page.wait_for_function("document.querySelector('#card-sent').textContent === '6'")
    assert await page.inner_text('[data-metric="OPEN_RATE"] .value') == "60.00%"
    assert await page.evaluate("window.__noReload") == "still here"
    assert "from=2026-03-09" in page.url


async def _funnel(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/campaigns/c1")
    steps = await page.locator("#funnel svg rect.step").evaluate_all(
        "rects => rects.map(r => [r.dataset.step, Number(r.dataset.value)])")
    assert steps == [["Sent", 6], ["Delivered", 4], ["Opened", 3], ["Clicked", 1],
                     ["Converted", 1]]
    table = await page.locator("#funnel-table td").all_inner_texts()
    assert table == ["6", "4", "3", "1", "1"]
    widths = await page.locator("#funnel svg rect.step").evaluate_all(
        "rects => rects.map(r => r.getBBox().width)")
    assert widths == sorted(widths, reverse=True)
    # The breakdown changes in place.
    await page.select_option("#dimension", "DEVICE")
    await page.wait_for_selector('#breakdown-table[data-dimension="DEVICE"]')
    labels = await page.locator("#breakdown-table tbody td:first-child").all_inner_texts()
    assert labels == ["unknown", "desktop", "mobile"]
