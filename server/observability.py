"""Prometheus metrics: request count and latency per route template, job_run states."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.auth import require_role
from server.db.models import JOB_STATES, JobRun

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Requests that matched no route share one label, so scanners probing random paths
# cannot blow up the number of time series.
UNMATCHED = "<unmatched>"


class JobStateCollector(Collector):
    """``mailscope_job_runs{state}``: job runs per state, counted at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("mailscope_job_runs", "Job runs by state.",
                                   labels=["state"])
        with Session(self.engine) as session:
            rows = session.exec(select(JobRun.state, func.count())
                                .group_by(JobRun.state)).all()
        counts = dict.fromkeys(JOB_STATES, 0) | {state: int(count) for state, count in rows}
        for state, count in sorted(counts.items()):
            family.add_metric([state], count)
        yield family


class Metrics:
    """One registry per app, so several apps in one process (tests) never collide."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("mailscope_http_requests", "HTTP requests handled.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("mailscope_http_request_duration_seconds",
                                 "Time to the end of the response body.",
                                 ["method", "route"], registry=self.registry)
        self.registry.register(JobStateCollector(engine))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if isinstance(route, BaseRoute):
        return str(getattr(route, "path", UNMATCHED)) or UNMATCHED
    return UNMATCHED


class MetricsMiddleware:
    """Times every HTTP request and labels it with the route template it matched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = route_template(scope)
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - start)


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text exposition; needs the viewer role."""
    require_role(request, "viewer")
    metrics: Metrics = request.app.state.metrics
    return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE)
