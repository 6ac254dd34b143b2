"""Signing in and out through the forms, and the open-redirect guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.auth import rotate_api_key
from server.db.engine import session_scope
from server.web.login import safe_next
from tests.server.web.conftest import csrf_from, log_in, make_key


def test_login_success_redirects_to_local_next(client: TestClient, admin_key: str) -> None:
    page = client.get("/login?next=/jobs")
    assert page.status_code == 200
    assert page.template == "login.html"
    assert page.context == {"error": None, "next": "/jobs"}
    assert '<input type="hidden" name="next" value="/jobs">' in page.text
    response = client.post("/login", data={"api_key": admin_key, "next": "/jobs",
                                           "csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/jobs"
    assert client.get("/jobs").status_code == 200


def test_login_rotates_csrf_token(client: TestClient, admin_key: str) -> None:
    before = csrf_from(client.get("/login").text)
    after = log_in(client, admin_key)
    assert after != before


def test_login_failure_rerenders_with_401(client: TestClient, admin_key: str) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"api_key": "ms_wrong", "next": "/campaigns",
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 401
    assert "That API key is unknown or revoked" in response.text
    assert '<form method="post" action="/login">' in response.text
    assert client.get("/campaigns", follow_redirects=False).status_code in (302, 303, 307)


def test_login_empty_key_names_the_field(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"api_key": "  ", "csrf_token": token})
    assert response.status_code == 401
    assert "Enter your API key in the &#39;API key&#39; field." in response.text


@pytest.mark.parametrize("next_value", ["http://evil.example/", "//evil.example/x",
                                        "/\\evil.example", "https:/evil", "javascript:alert(1)"])
def test_login_refuses_open_redirect(client: TestClient, admin_key: str,
                                     next_value: str) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"api_key": admin_key, "next": next_value,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/campaigns"


def test_login_page_drops_foreign_next(client: TestClient) -> None:
    page = client.get("/login", params={"next": "http://evil.example/"})
    assert page.context == {"error": None, "next": "/campaigns"}
    assert '<input type="hidden" name="next" value="/campaigns">' in page.text


def test_safe_next_keeps_query_of_local_paths() -> None:
    assert safe_next("/campaigns?search=spring&type=promotional") == \
        "/campaigns?search=spring&type=promotional"
    assert safe_next(None) == "/campaigns"


def test_logout_clears_session(client: TestClient, admin_key: str) -> None:
    token = log_in(client, admin_key)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    anonymous = client.get("/campaigns", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 307)
    assert anonymous.headers["location"].startswith("/login?next=")


def test_a_rotated_secret_in_its_grace_period_cannot_open_a_session(
        client: TestClient, engine: Engine) -> None:
    old = make_key(engine, "viewer")
    with session_scope(engine) as session:
        _, new = rotate_api_key(session=session, key_id=1, grace=timedelta(minutes=5))
    token = csrf_from(client.get("/login").text)
    refused = client.post("/login", data={"api_key": old, "csrf_token": token},
                          follow_redirects=False)
    assert refused.status_code == 401 and "rotated" in refused.context["error"]
    assert client.get("/api/openapi.json", headers={"Authorization": f"Bearer {old}"}
                      ).status_code == 200
    accepted = client.post("/login", data={"api_key": new, "csrf_token": token},
                           follow_redirects=False)
    assert accepted.status_code == 303
