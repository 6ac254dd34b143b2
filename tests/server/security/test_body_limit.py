"""Bodies over the limit are refused by Content-Length before any byte is read, and while
streaming once the count passes the limit, on every route that takes a body."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from server.security.body_limit import BodyLimit, BodyTooLarge
from tests.server.security.conftest import AppMaker

MB = 1024 * 1024


class Chunks:
    """A streamed body of ``count`` chunks that records how many were pulled."""

    def __init__(self, count: int, size: int = 64 * 1024) -> None:
        self.count, self.size, self.pulled = count, size, 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.count):
            self.pulled += 1
            yield b"x" * self.size


async def echo_length(request: Request) -> Response:
    return JSONResponse({"length": len(await request.body())})


async def stream_then_read(request: Request) -> Response:
    async def parts() -> object:
        yield b"started"
        await request.body()

    return StreamingResponse(parts())


def limited_app() -> TestClient:
    app = Starlette(routes=[Route("/echo", echo_length, methods=["POST"]),
                            Route("/api/import/x", echo_length, methods=["POST"]),
                            Route("/late", stream_then_read, methods=["POST"])],
                    middleware=[Middleware(BodyLimit, max_body=1000, max_upload=5000)])
    return TestClient(app)


def test_under_the_limit_passes_and_uploads_get_the_larger_limit() -> None:
    client = limited_app()
    assert client.post("/echo", content=b"x" * 1000).json() == {"length": 1000}
    assert client.post("/api/import/x", content=b"x" * 5000).json() == {"length": 5000}
    refused = client.post("/api/import/x", content=b"x" * 5001)
    assert refused.status_code == 413
    assert "MAILSCOPE_MAX_UPLOAD_BYTES" in refused.json()["detail"]


async def drive(app: object, chunks: Chunks, headers: list[tuple[bytes, bytes]]
                ) -> tuple[int, dict[str, object]]:
    """Send ``chunks`` to the ASGI ``app`` lazily, one receive() at a time."""
    source = iter(chunks)
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        chunk = next(source, None)
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app({"type": "http", "path": "/echo", "method": "POST",  # type: ignore[operator]
               "headers": headers}, receive, send)
    body = sent[-1]["body"]
    assert isinstance(body, bytes)
    return int(sent[0]["status"]), json.loads(body)  # type: ignore[call-overload]


def test_content_length_over_the_limit_is_refused_unread() -> None:
    chunks = Chunks(1600)  # 100 MB, announced
    status, body = asyncio.run(drive(limited_app().app, chunks,
                                     [(b"content-length", str(100 * MB).encode())]))
    assert (status, body["limit"]) == (413, 1000)
    assert chunks.pulled == 0


def test_streamed_body_is_cut_off_at_the_limit() -> None:
    chunks = Chunks(1600, size=400)
    status, body = asyncio.run(drive(limited_app().app, chunks, []))
    assert status == 413
    assert "MAILSCOPE_MAX_BODY_BYTES" in str(body["detail"])
    assert chunks.pulled == 3  # 1,200 bytes: the first count over 1,000


def test_bad_content_length_is_a_400() -> None:
    status, body = asyncio.run(drive(limited_app().app, Chunks(1),
                                     [(b"content-length", b"12abc")]))
    assert status == 400
    assert "Content-Length" in str(body["detail"])


def test_over_the_limit_after_the_response_started_is_an_error() -> None:
    with pytest.raises(BodyTooLarge):
        limited_app().post("/late", content=Chunks(10, size=400))


# Values for path parameters that must name something real to reach the handler; any
# other parameter gets "1" (so an int converter matches too).
PATH_VALUES = {"kind": "events", "provider": "sendgrid", "token": "t", "campaign_id": "c"}


def post_routes(client: TestClient) -> list[str]:
    paths = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        methods = getattr(route, "methods", None) or set()
        if "POST" in methods:
            paths.append(re.sub(r"\{(\w+)(?::\w+)?\}",
                                lambda found: PATH_VALUES.get(found.group(1), "1"), route.path))
    return paths


def test_a_100_mb_body_is_refused_by_every_route_that_takes_one(make_client: AppMaker) -> None:
    client, keys = make_client()
    paths = post_routes(client)
    assert "/api/import/events" in paths and "/graphql" in paths
    for path in paths:
        for announced in (True, False):
            chunks = Chunks(1600)
            kind = ("application/json" if path == "/graphql" or path.startswith("/webhooks/")
                    else "text/csv" if path.startswith("/api/")
                    else "application/x-www-form-urlencoded")
            headers = {"Authorization": f"Bearer {keys['admin']}", "Content-Type": kind}
            if announced:
                headers["Content-Length"] = str(100 * MB)
            response = client.post(path, content=chunks, headers=headers)
            assert response.status_code == 413, (path, announced, response.text[:200])
            assert "request body too large" in response.text
    assert client.get("/healthz").json()["status"] == "ok"
    assert json.loads(client.get("/healthz").text)["database"] is True
