"""Per-key rate limits: a token bucket per API key (anonymous callers: per client IP).

Each caller may make ``burst`` requests at once and ``rate`` per second after that; over
it they get 429 with Retry-After and a JSON error naming the limit. With Redis configured
the buckets live there, so every server replica draws from the same bucket; otherwise
they live in the process.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

# Not limited: the health check, static files, and provider webhooks, which prove
# themselves by signature and arrive in the providers' own bursts.
EXEMPT_PATHS = frozenset({"/healthz"})
EXEMPT_PREFIXES = ("/static/", "/webhooks/")
MAX_LOCAL_BUCKETS = 100_000
REDIS_PREFIX = "mailscope:ratelimit:"

# One atomic step of a token bucket kept in a Redis hash; the clock is Redis's own, so
# replicas with drifting clocks still share one bucket fairly.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True)
class Limit:
    """``rate`` requests per second after a ``burst``; ``name`` says which setting."""

    rate: float
    burst: int
    name: str

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.burst > 0


class Buckets(Protocol):
    async def take(self, identity: str, limit: Limit) -> float:
        """0 when a request may go ahead, else the seconds until it may."""


class LocalBuckets:
    """Buckets in this process (one server, or no Redis)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self.state: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, identity: str, limit: Limit) -> float:
        now = self.clock()
        tokens, at = self.state.pop(identity, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + max(0.0, now - at) * limit.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / limit.rate
        self.state[identity] = (tokens, now)
        while len(self.state) > MAX_LOCAL_BUCKETS:
            self.state.popitem(last=False)
        return wait


class RedisBuckets:
    """Buckets shared by every replica through Redis. While Redis cannot be reached each
    process limits with buckets of its own (a warning is logged once a minute), so an
    outage of the shared store neither fails requests nor lifts the limits."""

    def __init__(self, url: str, prefix: str = REDIS_PREFIX) -> None:
        from redis.asyncio import Redis

        self.client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.script = self.client.register_script(BUCKET_SCRIPT)
        self.prefix = prefix
        self.fallback = LocalBuckets()
        self.warned_at = -math.inf

    async def take(self, identity: str, limit: Limit) -> float:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            allowed, wait = await self.script(keys=[self.prefix + identity],
                                              args=[limit.rate, limit.burst])
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            if time.monotonic() - self.warned_at > 60:
                self.warned_at = time.monotonic()
                log.warning("rate-limit store unreachable (%s): limiting per process",
                            type(error).__name__)
            return await self.fallback.take(identity, limit)
        return 0.0 if int(allowed) else float(wait)

    async def close(self) -> None:
        await self.client.aclose()


def identity_of(scope: Scope) -> tuple[str, bool]:
    """The bucket's name and whether the caller is signed in."""
    key_id = getattr(scope.get("user"), "key_id", None)
    if key_id is not None:
        return f"key:{key_id}", True
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}", False


class RateLimit:
    """429 with Retry-After once a caller's bucket is empty. Runs after authentication."""

    def __init__(self, app: ASGIApp, *, buckets: Buckets, per_key: Limit,
                 anonymous: Limit) -> None:
        self.app = app
        self.buckets = buckets
        self.per_key = per_key
        self.anonymous = anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or path in EXEMPT_PATHS
                or path.startswith(EXEMPT_PREFIXES)):
            await self.app(scope, receive, send)
            return
        identity, signed_in = identity_of(scope)
        limit = self.per_key if signed_in else self.anonymous
        if limit.enabled:
            wait = await self.buckets.take(identity, limit)
            if wait > 0:
                await self.refuse(send, limit, wait)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def refuse(send: Send, limit: Limit, wait: float) -> None:
        retry_after = max(1, math.ceil(wait))
        body = json.dumps({
            "error": "rate limit exceeded",
            "limit": limit.name,
            "detail": f"{limit.name}: at most {limit.burst} requests at once and "
                      f"{limit.rate:g} per second after that; retry in {retry_after} s",
            "retry_after": retry_after}).encode()
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(retry_after).encode())]})
        await send({"type": "http.response.body", "body": body})
