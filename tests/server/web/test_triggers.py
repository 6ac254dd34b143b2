"""Trigger pages: create from the cart-abandonment template (the secret shown once),
refusals, the firing log with its reasons, pause and resume, the customer's firings."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from server.db.repository.triggers import update_trigger
from server.runners import triggers
from tests.server.ingest.conftest import load_world
from tests.server.runners.test_triggers import END, SCENARIO, T0, ingest
from tests.server.web.conftest import csrf_from, log_in


def test_create_watch_the_log_and_pause(client: TestClient, engine: Engine,
                                        admin_key: str, viewer_key: str) -> None:
    load_world(engine)
    token = log_in(client, admin_key)
    page = client.get("/triggers").text
    assert '<option value="cart_abandonment" >Cart abandonment</option>' in page
    created = client.post("/triggers", data={
        "csrf_token": token, "name": "Carts", "template": "cart_abandonment",
        "webhook_url": "https://example.com/hook", "priority": "3"})
    assert created.status_code == 200
    secret = re.search(r'<code id="webhook-secret">([^<]+)</code>', created.text)
    assert secret is not None
    [row] = triggers.list_triggers(engine)
    assert row.webhook_secret == secret[1] and row.priority == 3
    assert '<tr id="trigger-1">' in created.text and "<td>enabled</td>" in created.text

    refused = client.post("/triggers", data={"csrf_token": token, "name": "Bad",
                                             "definition": "{"})
    assert refused.status_code == 422
    assert "definition: not JSON" in refused.text

    # The scenario's carts fall due; the sweep decides them; the log shows why.
    with Session(engine) as session:
        update_trigger(session=session, trigger_id=1,
                       values={"created_at": T0 - timedelta(days=1)})
        session.commit()
    ingest(engine, SCENARIO)
    triggers.evaluate(engine, as_of=END, deliver=False)
    log = client.get("/triggers/1").text
    assert log.count('<tr id="firing-') == 2
    assert ("<td>cart_add at 2026-03-01T09:05:00Z with cart_id=c2, then no checkout within "
            "2h: fired</td>") in log
    customer = client.get("/customers/u2").text
    assert '<section class="card" id="trigger-firings">' in customer
    assert "<td><code>cart_id:c2</code></td>" in customer
    assert client.get("/triggers/1?status=paused").text.count('<tr id="firing-') == 0

    paused = client.post("/triggers/1/enabled", data={"csrf_token": token,
                                                      "enabled": "false"},
                         follow_redirects=True)
    assert '<strong id="trigger-state">paused</strong>' in paused.text
    assert client.get("/triggers/9").status_code == 404

    log_in(client, viewer_key)
    viewer = client.get("/triggers").text
    assert 'id="editor"' not in viewer and '<td>paused</td>' in viewer



def test_the_firing_logs_filter_page_and_archive(client: TestClient, engine: Engine,
                                                 admin_key: str, viewer_key: str) -> None:
    load_world(engine)
    ingest(engine, SCENARIO)
    carts = triggers.create_trigger(engine, name="Carts", template="cart_abandonment")
    trigger_id = carts.trigger.id or 0
    with Session(engine) as session:
        update_trigger(session=session, trigger_id=trigger_id,
                       values={"created_at": T0 - timedelta(days=1)})
        session.commit()
    triggers.evaluate(engine, as_of=END, deliver=False)
    token = log_in(client, admin_key)
    page = client.get(f"/triggers/{trigger_id}?customer=u3")
    assert page.template == "trigger.html"  # type: ignore[attr-defined]
    context = page.context  # type: ignore[attr-defined]
    assert [(f["customerId"], f["triggerVersion"]) for f in context["firings"]] == [("u3", 1)]
    assert (context["total"], context["next_cursor"], context["problems"]) == (1, None, [])
    # Due days: u2's cart fell due on 1 March, as did u3's; nothing on 2 March.
    assert client.get(f"/triggers/{trigger_id}?since=2026-03-01&until=2026-03-01")\
        .context["total"] == 2  # type: ignore[attr-defined]
    assert client.get(f"/triggers/{trigger_id}?since=2026-03-02")\
        .context["total"] == 0  # type: ignore[attr-defined]
    bad = client.get(f"/triggers/{trigger_id}?status=fird&since=March")
    assert bad.context["problems"] == [  # type: ignore[attr-defined]
        "status: unknown 'fird'; use one of fired, paused, condition, exited, reentry, "
        "maximum, cooldown, frequency_cap",
        "since: 'March' is not a date; write one such as 2026-03-01"]
    assert bad.context["total"] == 2  # type: ignore[attr-defined]

    # Every trigger's log, by trigger, one page after another.
    everything = client.get("/triggers/firings")
    assert everything.template == "trigger_firings.html"  # type: ignore[attr-defined]
    assert everything.context["total"] == 2  # type: ignore[attr-defined]
    assert client.get("/triggers/firings?trigger=7").context["total"] == 0  # type: ignore[attr-defined]
    assert client.get("/triggers/firings?trigger=x").context["problems"] == [  # type: ignore[attr-defined]
        "trigger: 'x' is not a trigger id"]

    archived = client.post(f"/triggers/{trigger_id}/archive", data={"csrf_token": token},
                           follow_redirects=True)
    assert '<strong id="trigger-state">archived</strong>' in archived.text
    assert 'id="edit-link"' not in archived.text
    listed = client.get("/triggers")
    assert listed.context["triggers"] == []  # type: ignore[attr-defined]
    assert [t["id"] for t in listed.context["archived"]] == [str(trigger_id)]  # type: ignore[attr-defined]
    assert f'<a href="/triggers/{trigger_id}">Carts</a> <span class="muted">archived' \
        in listed.text
    assert client.post("/triggers/99/archive", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/triggers/{trigger_id}/archive", data={}).status_code == 403
    log_in(client, viewer_key)
    assert client.post(f"/triggers/{trigger_id}/archive",
                       data={"csrf_token": csrf_from(client.get("/triggers").text)}
                       ).status_code == 403
