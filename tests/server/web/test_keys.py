"""The API keys page: admins list, create, rotate and revoke keys; others are refused."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.db.engine import session_scope
from server.db.repository.audit import list_audit
from tests.server.web.conftest import log_in, make_key


def test_admin_creates_rotates_and_revokes(client: TestClient, engine: Engine) -> None:
    token = log_in(client, make_key(engine, "admin"))
    page = client.get("/settings/keys")
    assert page.status_code == 200 and page.template == "keys.html"
    assert [key["role"] for key in page.context["keys"]] == ["admin"]
    created = client.post("/settings/keys", data={"csrf_token": token, "name": "etl",
                                                  "role": "ingest", "expires_in_days": "30"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    new_key = created.context["new_key"]
    assert new_key.startswith("ms_") and new_key in created.text
    assert created.context["keys"][1]["expires_at"] is not None
    rotated = client.post("/settings/keys/2/rotate", data={"csrf_token": token,
                                                           "grace_minutes": "5"})
    assert rotated.context["notice"] == "Key 2 (etl) has a new secret."
    assert rotated.context["new_key"] not in (None, new_key)
    revoked = client.post("/settings/keys/2/revoke", data={"csrf_token": token})
    assert revoked.context["keys"][1]["status"] == "revoked"
    assert client.get("/settings/keys").context["new_key"] is None  # shown once
    with session_scope(engine) as session:
        events = list_audit(session=session)
    assert [(e.action, e.actor) for e in events] == [
        ("apikey.revoke", "admin key"), ("apikey.rotate", "admin key"),
        ("apikey.create", "admin key"), ("apikey.create", "command line")]


def test_bad_input_is_named_and_changes_nothing(client: TestClient, engine: Engine) -> None:
    token = log_in(client, make_key(engine, "admin"))
    cases = [
        ("/settings/keys", {"name": "x", "role": "root"}, 400, "unknown role 'root'"),
        ("/settings/keys", {"name": " ", "role": "viewer"}, 400, "name is empty"),
        ("/settings/keys", {"name": "x", "role": "viewer", "expires_in_days": "soon"}, 400,
         "Expires in days: 'soon'"),
        ("/settings/keys/1/rotate", {"grace_minutes": "abc"}, 400, "'abc' is not a number"),
        ("/settings/keys/1/rotate", {"grace_minutes": "99999"}, 400, "out of range"),
        ("/settings/keys/7/rotate", {}, 404, "API key 7 does not exist"),
        ("/settings/keys/7/revoke", {}, 404, "API key 7 does not exist"),
    ]
    for path, data, status, message in cases:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == status, (path, data)
        assert message in response.context["error"], (path, data)
    assert len(client.get("/settings/keys").context["keys"]) == 1


def test_other_roles_and_forged_posts_are_refused(client: TestClient, engine: Engine) -> None:
    admin_key = make_key(engine, "admin")
    token = log_in(client, make_key(engine, "analyst"))
    assert client.get("/settings/keys").status_code == 403
    refused = client.post("/settings/keys/1/revoke", data={"csrf_token": token})
    assert refused.status_code == 403 and "needs the admin role" in refused.text
    log_in(client, admin_key)
    forged = client.post("/settings/keys", data={"name": "x", "role": "admin"})
    assert forged.status_code == 403
    assert len(client.get("/settings/keys").context["keys"]) == 2
