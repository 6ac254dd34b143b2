"""Chromium against the real app: the allocation editor's sliders update the predicted
revenue as they move, also after htmx swaps the report for new settings."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from tests.server.runners.budget_world import load_budget_world
from tests.server.web.browser.live_server import DRIVEN, launch_chromium, serving


@pytest.mark.browser
async def test_sliders_update_the_predicted_revenue(sqlite_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, load_budget_world) as (base_url, raw_key):
        await asyncio.wait_for(_drive_browser(base_url, raw_key), timeout=120)


def _predicted(curves: list[dict], amounts: list[float]) -> float:
    total = 0.0
    for curve, spend in zip(curves, amounts, strict=True):
        x = (spend / curve["half"]) ** curve["shape"] if spend > 0 else 0.0
        total += curve["top"] * x / (1 + x)
    return total


async def _number(page: Page, selector: str) -> float:
    return float((await page.inner_text(selector)).replace(",", ""))


async def _drive_browser(base_url: str, raw_key: str) -> None:
    url = f"{base_url}/budget?model=&max_share=80"
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(**DRIVEN)
            await page.goto(url)
            await page.fill("#api_key", raw_key)
            await page.click("button[type=submit]")
            await page.wait_for_url(url)
            curves = json.loads(await page.get_attribute("#editor-form", "data-curves"))
            amounts = [float(v) for v in await page.locator("input.amount").evaluate_all(
                "inputs => inputs.map(i => i.value)")]
            before = await _number(page, "#editor-revenue")
            assert before == pytest.approx(_predicted(curves, amounts), abs=0.01)

            slider = page.locator("input.slider").nth(1)
            await slider.evaluate("s => { s.value = s.max; "
                                  "s.dispatchEvent(new Event('input')); }")
            amounts[1] = float(curves[1]["max"])
            after = await _number(page, "#editor-revenue")
            assert after == pytest.approx(_predicted(curves, amounts), abs=0.01)
            assert after != before
            assert await _number(page, "#editor-total") == pytest.approx(sum(amounts),
                                                                          abs=0.01)

            await page.select_option("#objective", "profit")
            await page.wait_for_url(f"{base_url}/budget?*objective=profit*")
            await page.wait_for_function(
                "document.getElementById('editor-revenue').textContent !== '—'")
            await page.locator("input.amount").first.fill("0")
            await page.locator("input.amount").first.dispatch_event("input")
            fresh = json.loads(await page.get_attribute("#editor-form", "data-curves"))
            values = [float(v) for v in await page.locator("input.amount").evaluate_all(
                "inputs => inputs.map(i => i.value)")]
            assert await _number(page, "#editor-revenue") == pytest.approx(
                _predicted(fresh, values), abs=0.01)
        finally:
            await browser.close()
