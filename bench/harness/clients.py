"""Closed-loop GraphQL clients: each sends what the pages send, one request at a time,
and every latency is kept, so percentiles are exact."""

from __future__ import annotations

import asyncio
import math
import os
import random
import resource
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

# The share of each kind of request a client makes (a dashboard user, a campaign
# browser, a customer-service look-up, a marketer checking segments).
MIX = {"dashboard": 0.25, "campaigns": 0.35, "customer": 0.30, "segments": 0.10}
CAMPAIGN_PAGE = 20


def _queries() -> dict[str, str]:
    """The operations the pages send, so the load is what a browser's pages cause."""
    from server.web.campaigns import CAMPAIGNS_QUERY
    from server.web.customers import CUSTOMER_QUERY
    from server.web.dashboard import DASHBOARD_QUERY
    from server.web.segments import SEGMENTS_QUERY

    return {"dashboard": DASHBOARD_QUERY, "campaigns": CAMPAIGNS_QUERY,
            "customer": CUSTOMER_QUERY, "segments": SEGMENTS_QUERY}


@dataclass
class Workload:
    customer_ids: list[str]
    dashboard_variables: dict[str, Any]
    queries: dict[str, str] = field(default_factory=_queries)


@dataclass
class Tally:
    """What one phase's clients saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    client_cpu: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def server_errors(self) -> int:
        return sum(self.errors.values())


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


async def _client(number: int, base_url: str, key: str, workload: Workload, tally: Tally,
                  stop: asyncio.Event, seed: int) -> None:
    chooser = random.Random(seed * 1_000 + number)  # noqa: S311 (a load mix, not a secret)
    kinds, weights = list(MIX), list(MIX.values())
    cursor: str | None = None
    async with httpx.AsyncClient(base_url=base_url, timeout=120,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        requests = 0
        while not stop.is_set():
            # Client i starts with kind i mod 4, so a few clients cover every kind.
            kind = (kinds[number % len(kinds)] if requests == 0
                    else chooser.choices(kinds, weights)[0])
            requests += 1
            variables: dict[str, Any] = {}
            if kind == "dashboard":
                variables = workload.dashboard_variables
            elif kind == "campaigns":  # the next page after the last one, or page 1
                variables = {"first": CAMPAIGN_PAGE, "after": cursor, "filter": None}
            elif kind == "customer":
                variables = {"id": chooser.choice(workload.customer_ids)}
            started = time.perf_counter()
            try:
                response = await client.post("/graphql", json={
                    "query": workload.queries[kind], "variables": variables})
            except httpx.HTTPError as error:
                tally.errors[f"{kind}: {type(error).__name__}"] += 1
                continue
            elapsed = time.perf_counter() - started
            if response.status_code == 429:
                tally.rate_limited[kind] += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            tally.latencies[kind].append(elapsed)
            if response.status_code != 200:
                tally.errors[f"{kind}: HTTP {response.status_code}"] += 1
                continue
            body = response.json()
            if body.get("errors"):
                tally.errors[f"{kind}: GraphQL {body['errors'][0].get('message', '')[:80]}"] += 1
                continue
            if kind == "campaigns":
                page = body["data"]["campaigns"]["pageInfo"]
                cursor = page["endCursor"] if page["hasNextPage"] else None


async def drive(urls: list[str], keys: list[str], workload: Workload, *, clients: int,
                seconds: float, until: asyncio.Future[Any] | None = None,
                seed: int = 7) -> Tally:
    """``clients`` closed-loop clients (client i on replica i mod n, key i mod len(keys))
    for ``seconds`` s, or until ``until`` is done if that is later."""
    tally = Tally()
    stop = asyncio.Event()
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    load_before = os.getloadavg()[0]
    tasks = [asyncio.create_task(_client(number, urls[number % len(urls)],
                                         keys[number % len(keys)], workload, tally, stop,
                                         seed))
             for number in range(clients)]
    await asyncio.sleep(seconds)
    if until is not None:
        await asyncio.wait([until])
    stop.set()
    await asyncio.gather(*tasks)
    tally.wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    tally.client_cpu = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    tally.load = (load_before, os.getloadavg()[0])
    return tally
