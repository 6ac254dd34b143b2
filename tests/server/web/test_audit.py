"""The audit log page: admins only, newest first, filtered, a page at a time."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.db.repository.audit import audit
from server.web import audit as audit_page
from tests.server.web.conftest import log_in, make_key


def test_lists_filters_and_pages(client: TestClient, engine: Engine,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_page, "PAGE_SIZE", 2)
    log_in(client, make_key(engine, "admin"))
    for number in range(3):
        audit(engine=engine, actor="bob", action=f"graphql.step{number}",
              detail={"n": number, "api_key": "ms_secret"})
    page = client.get("/audit")
    assert page.status_code == 200 and page.template == "audit.html"
    assert [event["action"] for event in page.context["events"]] == [
        "graphql.step2", "graphql.step1"]
    assert page.context["events"][0]["detail"] == {"n": 2, "api_key": "[redacted]"}
    assert "ms_secret" not in page.text and page.context["total"] == 4
    older = client.get("/audit", params={"after": page.context["page_info"]["endCursor"]})
    assert [event["action"] for event in older.context["events"]] == [
        "graphql.step0", "apikey.create"]
    only = client.get("/audit", params={"action": "apikey", "actor": "command line"})
    assert [event["action"] for event in only.context["events"]] == ["apikey.create"]
    assert only.context["filters"] == {"action": "apikey", "actor": "command line"}


def test_refused_below_admin(client: TestClient, engine: Engine) -> None:
    log_in(client, make_key(engine, "analyst"))
    refused = client.get("/audit")
    assert refused.status_code == 403 and "needs the admin role" in refused.text
