"""Every POST from a page needs the session's CSRF token."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.server.table_state import table_state
from tests.server.web.conftest import csrf_from, log_in


def test_login_without_token_is_403(client: TestClient, admin_key: str) -> None:
    client.get("/login")
    response = client.post("/login", data={"api_key": admin_key}, follow_redirects=False)
    assert response.status_code == 403
    assert "The request carried no security token" in response.text
    assert client.get("/campaigns", follow_redirects=False).status_code in (302, 303, 307)


def test_post_jobs_without_token_is_403(client: TestClient, admin_key: str) -> None:
    log_in(client, admin_key)
    response = client.post("/jobs", data={})
    assert response.status_code == 403
    assert "The request carried no security token" in response.text


def test_post_jobs_with_wrong_header_is_403(client: TestClient, admin_key: str) -> None:
    log_in(client, admin_key)
    response = client.post("/jobs", headers={"X-CSRF-Token": "forged", "HX-Request": "true"})
    assert response.status_code == 403
    # htmx gets only the message block, not a whole page.
    assert response.text.startswith('<p class="alert" role="alert" id="error-message">')
    assert "does not match this session" in response.text
    assert response.headers["hx-retarget"] == "#flash"


def test_logout_without_token_is_403(client: TestClient, admin_key: str) -> None:
    log_in(client, admin_key)
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/campaigns", follow_redirects=False).status_code == 200


def test_token_is_in_meta_and_body_headers(client: TestClient) -> None:
    html = client.get("/login").text
    token = csrf_from(html)
    assert f'<body hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'>' in html
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in html


FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.DOTALL | re.IGNORECASE)
POST_FORM = re.compile(r"""method=["']?post""", re.IGNORECASE)
TOKEN_FIELD = re.compile(r"""<input[^>]*name=["']csrf_token["'][^>]*value=["'][^"']+""")
# Not browser forms: provider webhooks prove themselves by signature, and /graphql takes
# only JSON, which no cross-site form can send.
NOT_SESSION_POSTS = ("/webhooks/", "/graphql")


def _routes(client: TestClient, method: str) -> list[str]:
    return [route.path for route in client.app.routes  # type: ignore[attr-defined]
            if isinstance(route, Route) and method in (route.methods or ())]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_post_form_on_every_page_carries_the_token(client: TestClient,
                                                         admin_key: str) -> None:
    log_in(client, admin_key)
    pages = [path for path in _routes(client, "GET") if "{" not in path]
    forms = 0
    for path in pages:
        response = client.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for form in FORM.findall(response.text):
            opening = form.split(">", 1)[0]
            if POST_FORM.search(opening) or "hx-post" in opening:
                forms += 1
                assert TOKEN_FIELD.search(form), f"a POST form on {path} has no csrf_token"
    assert forms >= 10


def test_every_session_post_without_the_token_is_refused(client: TestClient,
                                                          admin_key: str,
                                                          engine: Engine) -> None:
    log_in(client, admin_key)
    before = table_state(engine)
    posts = [path for path in _routes(client, "POST") if not path.startswith(
        NOT_SESSION_POSTS)]
    assert "/settings/keys" in posts and "/api/import/{kind}" in posts
    for path in posts:
        url = _concrete(path).replace("/import/1", "/import/campaigns")
        response = client.post(url, data={"name": "x"}, follow_redirects=False)
        assert response.status_code == 403, (path, response.status_code)
        assert "security token" in response.text, path
    assert table_state(engine) == before


def test_graphql_refuses_a_cross_site_form_post(client: TestClient, admin_key: str) -> None:
    log_in(client, admin_key)
    for kind in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data"):
        response = client.post("/graphql", content=b"query=mutation{resetTargets{__typename}}",
                               headers={"Content-Type": kind})
        assert 400 <= response.status_code < 500, kind
