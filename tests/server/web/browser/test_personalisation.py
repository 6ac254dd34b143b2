"""Chromium against the real app: a marketer types a template with a typo, sees the lint
message, fixes it and sees it rendered for three very different customers; then links a
saved template to a campaign, unlinks it and deletes it through the confirmation page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright
from sqlalchemy import Engine

from server.runners import personalisation as runner
from tests.server.web.browser.live_server import DRIVEN, launch_chromium, serving, sign_in
from tests.worlds.personalisation import load_shop


async def _as_analyst(sqlite_url: str, seed: Callable[[Engine], Any], path: str,
                      steps: Callable[[Page], Awaitable[None]]) -> None:
    """Serve ``seed``'s world, sign in as an analyst on ``path`` and run ``steps``."""
    async def drive(base_url: str, raw_key: str) -> None:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            try:
                page = await browser.new_page(**DRIVEN)
                await sign_in(page, base_url, raw_key, path)
                await steps(page)
            finally:
                await browser.close()

    with serving(sqlite_url, seed, role="analyst") as (base_url, raw_key):
        await asyncio.wait_for(drive(base_url, raw_key), timeout=60)


@pytest.mark.browser
async def test_typo_lint_fix_and_three_customer_preview(sqlite_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.chdir(tmp_path)
    await _as_analyst(sqlite_url, load_shop, "/personalisation", _typo_fix_preview)


async def _typo_fix_preview(page: Page) -> None:
    await page.evaluate("window.__noReload = 'still here'")
    source = page.locator("#source")
    await source.press_sequentially("Hi {{ first_nme | default('there') }}!", delay=10)
    lint = page.locator("#lint li")
    await lint.first.wait_for()
    assert "line 1, column 7: unknown token first_nme" in await lint.first.inner_text()
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


def _shop_with_template(engine: Engine) -> None:
    load_shop(engine)
    runner.create_template(engine, name="Greeting", kind="subject", source="Hi {{ first_name }}")


@pytest.mark.browser
async def test_link_unlink_and_delete_a_template(sqlite_url: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    await _as_analyst(sqlite_url, _shop_with_template, "/personalisation?template=1",
                      _link_unlink_delete)


async def _link_unlink_delete(page: Page) -> None:
    await page.locator("#campaign-choice").select_option("c1")
    await page.get_by_role("button", name="Link as its subject").click()
    await page.locator("#linked-c1").wait_for()
    assert "Linked to campaign c1." in await page.locator("#linked").inner_text()
    await page.locator("#linked-c1").get_by_role("button", name="Unlink").click()
    await page.locator("#no-campaigns").wait_for()
    await page.locator("#delete-template").click()
    await page.locator("#confirm-delete").wait_for()
    assert "cannot be undone" in await page.locator("#confirm-delete").inner_text()
    await page.locator("#confirm-delete-button").click()
    await page.locator("#deleted").wait_for()
    assert await page.locator("#template-list .empty").inner_text() == "No templates yet."
