"""Token buckets per key (per IP without one): 429 with Retry-After and the limit's name,
in the process and shared through Redis by two replicas."""

from __future__ import annotations

import asyncio

import pytest
import redis

from server.security.ratelimit import REDIS_PREFIX, Limit, LocalBuckets, RedisBuckets
from tests.server.security.conftest import AppMaker

# Three requests at once, then hardly any: no refill happens within a test.
SLOW = {"rate_limit_per_second": 0.001, "rate_limit_burst": 3,
        "rate_limit_anonymous_per_second": 0.001, "rate_limit_anonymous_burst": 2}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_local_bucket_spends_its_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    buckets = LocalBuckets(clock)
    limit = Limit(rate=2.0, burst=2, name="test")

    async def takes(count: int) -> list[float]:
        return [await buckets.take("key:1", limit) for _ in range(count)]

    assert asyncio.run(takes(3)) == [0.0, 0.0, 0.5]
    assert asyncio.run(buckets.take("key:2", limit)) == 0.0  # another key, its own bucket
    clock.now += 0.5
    assert asyncio.run(takes(2)) == [0.0, 0.5]


def test_disabled_limit() -> None:
    assert not Limit(0, 10, "off").enabled
    assert not Limit(1, 0, "off").enabled


def test_per_key_limit_answers_429_with_retry_after(make_client: AppMaker) -> None:
    client, keys = make_client(**SLOW)
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    statuses = [client.get("/api/openapi.json", headers=viewer).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.get("/api/openapi.json", headers=viewer)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    body = refused.json()
    assert body["error"] == "rate limit exceeded"
    assert body["limit"] == "MAILSCOPE_RATE_LIMIT_PER_SECOND/_BURST"
    assert "at most 3 requests at once" in body["detail"]
    # Another key has its own bucket; the health check is never limited.
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    assert client.get("/api/openapi.json", headers=admin).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_anonymous_callers_are_limited_per_ip(make_client: AppMaker) -> None:
    client, _ = make_client(**SLOW)
    assert [client.get("/login").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/login")
    assert refused.status_code == 429
    assert refused.json()["limit"] == "MAILSCOPE_RATE_LIMIT_ANONYMOUS_PER_SECOND/_BURST"


@pytest.fixture
def shared_redis(redis_url: str) -> str:
    connection = redis.Redis.from_url(redis_url)
    for name in connection.scan_iter(match=REDIS_PREFIX + "*"):
        connection.delete(name)
    connection.close()
    return redis_url


def test_two_replicas_share_one_bucket_through_redis(make_client: AppMaker,
                                                     shared_redis: str) -> None:
    first, keys = make_client(**SLOW, rate_limit_redis_url=shared_redis)
    second, _ = make_client(**SLOW, rate_limit_redis_url=shared_redis)
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    statuses = [replica.get("/api/openapi.json", headers=viewer).status_code
                for replica in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]
    refused = second.get("/api/openapi.json", headers=viewer)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    assert first.get("/api/openapi.json", headers=admin).status_code == 200


def test_a_redis_broker_url_also_shares_the_buckets() -> None:
    from server.settings import Settings

    assert Settings(broker_url="redis://h:1/2").rate_limit_redis == "redis://h:1/2"
    assert Settings(broker_url="redis://h:1/2",
                    rate_limit_redis_url="redis://o:1/3").rate_limit_redis == "redis://o:1/3"
    assert Settings(broker_url=None, rate_limit_redis_url="").rate_limit_redis is None


def test_an_unreachable_redis_limits_per_process_instead_of_failing(
        caplog: pytest.LogCaptureFixture) -> None:
    buckets = RedisBuckets("redis://127.0.0.1:1/0")  # nothing listens on port 1
    limit = Limit(rate=0.001, burst=2, name="test")

    async def takes(count: int) -> list[float]:
        try:
            return [await buckets.take("key:1", limit) for _ in range(count)]
        finally:
            await buckets.close()

    with caplog.at_level("WARNING", logger="server.security.ratelimit"):
        waits = asyncio.run(takes(3))
    assert waits[:2] == [0.0, 0.0] and waits[2] > 0  # still limited, by this process
    assert [r.getMessage() for r in caplog.records] == [
        "rate-limit store unreachable (ConnectionError): limiting per process"]
