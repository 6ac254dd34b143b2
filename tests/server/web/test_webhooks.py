"""The webhooks page: the inbox, kept events, and re-processing them once mapped."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.settings import Settings
from server.webhooks import sendgrid
from tests.server.web.conftest import log_in, make_key
from tests.server.webhooks.support import Keys, fold_all, sample, table

HX = {"HX-Request": "true"}


def _deliver_unknown(client: TestClient, keys: Keys, engine: Engine,
                     settings: Settings) -> None:
    body = json.dumps([{"event": "teleported", "email": "a@x.io", "timestamp": 1700000000,
                        "sg_event_id": "odd-1", "sg_message_id": "m1"},
                       json.loads(sample("sendgrid", "delivered"))[0]]).encode()
    assert client.post("/webhooks/sendgrid", content=body,
                       headers=keys.sendgrid_headers(body)).status_code == 200
    fold_all(engine, settings)


def test_the_page_shows_the_inbox_and_the_kept_events(
        hook_client: TestClient, keys: Keys, engine: Engine, hook_settings: Settings) -> None:
    _deliver_unknown(hook_client, keys, engine, hook_settings)
    log_in(hook_client, make_key(engine, "analyst"))
    page = hook_client.get("/webhooks")
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    fragment = hook_client.get("/webhooks", headers=HX).text
    assert fragment.startswith('<div id="webhooks">')
    assert "<code>teleported</code>" in fragment
    assert "unknown SendGrid event &#39;teleported&#39;" in fragment
    assert "<td>sendgrid</td>\n          <td><code>/webhooks/sendgrid</code></td>\n" \
           "          <td>1</td>\n          <td>0</td>" in fragment


def test_viewers_may_not_see_kept_payloads(hook_client: TestClient, engine: Engine) -> None:
    log_in(hook_client, make_key(engine, "viewer"))
    response = hook_client.get("/webhooks")
    assert response.status_code == 403  # a refusal, not a broken page
    assert "needs the analyst role" in response.text


def test_reprocessing_stores_what_the_mapping_now_takes(
        hook_client: TestClient, keys: Keys, engine: Engine, hook_settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _deliver_unknown(hook_client, keys, engine, hook_settings)
    token = log_in(hook_client, make_key(engine, "analyst"))
    [(kept_id,)] = table(engine, "SELECT id FROM webhook_quarantine")
    unchanged = hook_client.post("/webhooks", data={"csrf_token": token, "id": str(kept_id)},
                                 headers=HX)
    assert "0 events mapped (0 new); 1 still kept." in unchanged.text
    monkeypatch.setitem(sendgrid.MAPPING, "teleported", ("open", None))
    done = hook_client.post("/webhooks", data={"csrf_token": token, "id": str(kept_id)},
                            headers=HX)
    assert "1 events mapped (1 new); 0 still kept." in done.text
    assert "No kept events." in done.text
    assert sorted(table(engine, "SELECT event_id, type FROM email_event")) == [
        ("sendgrid:odd-1", "open"), ("sendgrid:rWVYmVk90MjZJ9iohOBa3w==", "delivered")]
    assert table(engine, "SELECT customer_id FROM message WHERE message_id = 'm1|a@x.io'") == [
        ("a@x.io",)]


def test_reprocessing_needs_the_form_token(hook_client: TestClient, engine: Engine) -> None:
    log_in(hook_client, make_key(engine, "analyst"))
    assert hook_client.post("/webhooks", data={"id": "1"}).status_code == 403
