"""A real uvicorn server on a free loopback port, in a background thread, for browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from sqlalchemy import Engine


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(app: Any, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL (``http://127.0.0.1:PORT``)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium, headless, with no background traffic (this machine's network is
# closed, and Chromium would retry many connections at every start).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


# Pages that tests drive with Playwright's waiting helpers: wait_for_function evaluates its
# predicate with eval() inside the page, which the app's CSP (no 'unsafe-eval') forbids.
# The CSP itself is checked, without this, by browser/test_templating.py.
DRIVEN = {"bypass_csp": True}


async def sign_in(page: Any, base_url: str, raw_key: str, path: str,
                  landing: str | None = None) -> None:
    """Open ``path``, sign in on the login form it redirects to, and wait until the
    browser is back on ``landing`` (``path`` unless given)."""
    await page.goto(f"{base_url}{path}")
    await page.fill("#api_key", raw_key)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base_url}{landing or path}")


async def launch_chromium(playwright: Any) -> Any:
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def serving(database_url: str, seed: Callable[[Engine], object], *,
            role: str = "admin") -> Iterator[tuple[str, str]]:
    """The real app on ``database_url`` after ``seed(engine)``, served on loopback;
    yields its base URL and a fresh API key with ``role``."""
    from server.app import create_app
    from server.db.engine import engine_for
    from server.settings import configure
    from tests.server.web.conftest import make_key

    settings = configure(database_url=database_url, secret_key="browser-" + "x" * 40,
                         broker_url=None, rate_limit_per_second=0,
                         rate_limit_anonymous_per_second=0)
    engine = engine_for(database_url)
    try:
        seed(engine)
        raw_key = make_key(engine, role)
        with live_server(create_app(settings)) as base_url:
            yield base_url, raw_key
    finally:
        engine.dispose()
        configure()
