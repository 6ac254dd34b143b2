"""Chromium against the real app: a trigger made from the cart-abandonment template,
edited in the editor (a refusal shown by its field first), and the change seen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import Engine

from tests.server.web.browser.live_server import launch_chromium, serving, sign_in


def _nothing(engine: Engine) -> None:
    return None


@pytest.mark.browser
async def test_create_from_a_template_edit_and_see_the_change(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, _nothing, role="analyst") as (base_url, raw_key):
        await asyncio.wait_for(_drive(base_url, raw_key), timeout=60)


async def _drive(base_url: str, raw_key: str) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page()
            await sign_in(page, base_url, raw_key, "/triggers")
            await page.fill("#editor input[name=name]", "Carts")
            await page.select_option("#editor select[name=template]", "cart_abandonment")
            await page.click("#editor button[type=submit]")
            await page.locator("#webhook-secret").wait_for()
            await page.click("#edit-created")
            await page.wait_for_url(f"{base_url}/triggers/1/edit")
            assert await page.input_value("#cooldown") == "1d"
            assert await page.locator("input[name=exit][value=order]").is_checked()

            # A bad span is refused beside its field, and the typed form is kept.
            await page.fill("#within", "soon")
            await page.click("#trigger-editor button[type=submit]")
            error = page.locator("#error-within")
            await error.wait_for()
            assert "'soon' is not a positive span" in await error.inner_text()
            assert await page.input_value("#within") == "soon"

            await page.fill("#within", "3h")
            await page.fill("#hours_from", "9")
            await page.fill("#hours_to", "20")
            for day in ("mon", "tue", "wed", "thu", "fri"):
                await page.check(f"input[name=days][value={day}]")
            await page.fill("#cooldown", "6h")
            await page.click("#trigger-editor button[type=submit]")
            await page.wait_for_url(f"{base_url}/triggers/1")
            assert await page.inner_text("#trigger-version") == "2"
            assert await page.inner_text("#trigger-cooldown") == "6h"
            definition = await page.inner_text("#trigger-definition")
            assert '"within": "3h"' in definition and '"hours": [9, 20]' in definition
            assert '"days": ["mon", "tue", "wed", "thu", "fri"]' in definition
            assert await page.locator("#versions tbody tr").count() == 2
        finally:
            await browser.close()
