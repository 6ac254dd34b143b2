"""Chromium loads every main page, GraphiQL included, under the real Content-Security-Policy
and reports no violation: no inline script, style attribute or handler slipped in."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.server.web.browser.live_server import launch_chromium, serving, sign_in
from tests.server.web.conftest import seed_campaigns

PAGES = ("/dashboard", "/campaigns", "/campaigns/c-spring", "/attribution", "/budget",
         "/budget/alerts", "/experiments", "/experiments/plan", "/customers", "/segments",
         "/segments/rfm", "/triggers", "/predictions", "/jobs", "/webhooks",
         "/settings/targets", "/settings/keys", "/audit", "/graphql")
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:`
                    + `${event.lineNumber}`);
});
"""


@pytest.mark.browser
async def test_main_pages_load_without_csp_violations(sqlite_url: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(sqlite_url, seed_campaigns) as (base_url, raw_key):
        violations = await asyncio.wait_for(_visit(base_url, raw_key), timeout=120)
    assert violations == {}


async def _visit(base_url: str, raw_key: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page()
            await page.add_init_script(RECORD_VIOLATIONS)
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text)
                    if "Content Security Policy" in message.text else None)
            await sign_in(page, base_url, raw_key, "/login", landing="/campaigns")
            for path in PAGES:
                console.clear()
                response = await page.goto(f"{base_url}{path}", wait_until="networkidle")
                assert response is not None and response.status == 200, path
                assert response.headers["content-security-policy"], path
                if path == "/graphql":
                    await page.wait_for_selector(".graphiql-container", timeout=20_000)
                reported = await page.evaluate("window.__csp") + console
                if reported:
                    found[path] = reported
        finally:
            await browser.close()
    return found
