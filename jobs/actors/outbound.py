"""Outbound webhooks shared by the actors that call a customer's system: bounded
timeouts, the retry policy, the headers every POST carries and the HMAC signature.

A receiver verifies a signed POST by computing
``hex(HMAC-SHA256(secret, timestamp + "." + body))`` over the raw body and the
``X-Mailscope-Timestamp`` header, comparing it with ``X-Mailscope-Signature``
(``v1=<hex>``) in constant time, and refusing timestamps older than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

# Connect and read both bounded: a receiver that hangs must not hold a worker thread.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# About 1 s, 2 s, 4 s ... capped at 5 minutes: a receiver being deployed or briefly down
# gets the message within the hour.
RETRY: dict[str, Any] = {"max_retries": 8, "min_backoff": 1_000, "max_backoff": 300_000}
USER_AGENT = "Mailscope-Webhook/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def post_json(url: str, body: bytes, *, idempotency_key: str,
              timeout: httpx.Timeout = TIMEOUT,
              headers: dict[str, str] | None = None) -> httpx.Response:
    """POST ``body`` (JSON) with the idempotency key; raises ``httpx.HTTPError`` on a
    failure or a non-2xx answer, so the actor's retries take over."""
    response = httpx.post(url, content=body, timeout=timeout,
                          headers={"Content-Type": "application/json",
                                   "Idempotency-Key": idempotency_key,
                                   "User-Agent": USER_AGENT, **(headers or {})})
    response.raise_for_status()
    return response
