"""Every POST from a page needs the session's CSRF token."""

from __future__ import annotations

from starlette.testclient import TestClient

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
