"""Every response carries the security headers: pages, the API, errors, static files."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from server.app import MailscopeApp
from server.security.headers import GRAPHIQL_CSP, HEADERS, PAGE_CSP
from tests.server.security.conftest import AppMaker


def assert_secured(response: object, policy: str = PAGE_CSP) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in HEADERS.items():
        assert headers[name] == value, name
    assert headers["Content-Security-Policy"] == policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize(("method", "path", "status", "bearer"), [
    ("GET", "/login", 200, None),
    ("GET", "/campaigns", 200, "viewer"),
    ("GET", "/healthz", 200, None),
    ("GET", "/static/app.css", 200, None),
    ("POST", "/graphql", 401, None),
    ("GET", "/api/export/campaigns.csv", 403, "viewer"),
    ("GET", "/no-such-page", 404, "viewer"),
    ("POST", "/api/import/nothing", 404, "ingest"),
])
def test_headers_on_pages_api_and_errors(make_client: AppMaker, method: str, path: str,
                                         status: int, bearer: str | None) -> None:
    client, keys = make_client()
    headers = {"Authorization": f"Bearer {keys[bearer]}"} if bearer else {}
    response = client.request(method, path, headers=headers, follow_redirects=False)
    assert response.status_code == status
    assert_secured(response, GRAPHIQL_CSP if path == "/graphql" else PAGE_CSP)


def test_graphiql_has_its_own_policy(make_client: AppMaker) -> None:
    client, keys = make_client()
    response = client.get("/graphql", headers={"Accept": "text/html",
                                               "Authorization": f"Bearer {keys['viewer']}"})
    assert response.status_code == 200
    assert "<style" not in response.text and "<script>" not in response.text
    assert_secured(response, GRAPHIQL_CSP)


def test_server_errors_carry_the_headers_too() -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("boom")

    app = MailscopeApp(routes=[Route("/boom", boom)])
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert_secured(response)
