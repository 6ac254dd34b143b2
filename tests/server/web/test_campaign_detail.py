"""The campaign page: funnel equal to the metrics, breakdown and recipients fragments."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.server.web.conftest import log_in
from tests.worlds.dashboard import load_world


@pytest.fixture
def signed_in(client: TestClient, engine: Engine, admin_key: str) -> TestClient:
    load_world(engine)
    log_in(client, admin_key)
    return client


def test_funnel_matches_metrics(signed_in: TestClient) -> None:
    page = signed_in.get("/campaigns/c1")
    assert page.template == "campaign.html"
    assert page.context["funnel_steps"] == [("Sent", 6), ("Delivered", 4), ("Opened", 3),
                                            ("Clicked", 1), ("Converted", 1)]
    assert page.context["campaign"]["name"] == "Spring Sale"
    assert page.context["campaign"]["variants"] == [
        {"id": "A", "subjectLine": "Spring sale starts now", "weight": 0.5},
        {"id": "B", "subjectLine": "Spring sale starts now", "weight": 0.5}]
    assert page.context["cards"][0] == {
        "metric": "DELIVERY_RATE", "label": "Delivery rate", "status": "bad",
        "value": "66.67%", "target": "98.00%", "bound": "≥", "difference": "−31.33%"}
    assert (page.context["dimension"], page.context["status"]) == ("VARIANT", None)
    assert page.context["recipient_total"] == 6
    html = page.text
    steps = re.findall(r'data-step="(\w+)" data-value="(\d+)"', html)
    assert steps == [("Sent", "6"), ("Delivered", "4"), ("Opened", "3"), ("Clicked", "1"),
                     ("Converted", "1")]
    assert "66.7% of sent" in html and "75.0% of previous" in html
    assert 'data-metric="CLICK_TO_OPEN_RATE" data-status="good"' in html
    assert "<td>A</td><td>Spring sale starts now</td>" in html


def test_breakdown_fragment(signed_in: TestClient) -> None:
    response = signed_in.get("/campaigns/c1", params={"dimension": "MAILBOX_PROVIDER"},
                             headers={"HX-Request": "true", "HX-Target": "breakdown"})
    assert response.context["dimension"] == "MAILBOX_PROVIDER"
    assert [(row["label"], row["counters"]["sent"]) for row in response.context["breakdown"]] \
        == [("gmail.com", 3), ("yahoo.com", 2), ("outlook.com", 1)]
    html = response.text
    assert html.lstrip().startswith('<section class="card" id="breakdown">')
    labels = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td>", html)
    assert labels == [("gmail.com", "3"), ("yahoo.com", "2"), ("outlook.com", "1")]
    assert "dimension=MAILBOX_PROVIDER" in html


def test_recipients_drill_down_pages(signed_in: TestClient) -> None:
    hx = {"HX-Request": "true", "HX-Target": "recipients"}
    delivered = signed_in.get("/campaigns/c1", params={"status": "DELIVERED"}, headers=hx)
    assert (delivered.context["status"], delivered.context["recipient_total"],
            delivered.context["next_href"]) == ("DELIVERED", 4, None)
    assert [row["email"] for row in delivered.context["recipients"]] == [
        "ana@gmail.com", "bo@gmail.com", "di@yahoo.com", "ed@outlook.com"]
    html = delivered.text
    assert html.lstrip().startswith('<section class="card" id="recipients">')
    assert '<span class="muted" id="recipient-total">4 sends</span>' in html
    emails = re.findall(r"<tr><td>([^<]+@[^<]+)</td>", html)
    assert emails == ["ana@gmail.com", "bo@gmail.com", "di@yahoo.com", "ed@outlook.com"]
    assert 'rel="next"' not in html
    bounced = signed_in.get("/campaigns/c1", params={"status": "BOUNCED"}, headers=hx).text
    assert re.findall(r"<tr><td>([^<]+@[^<]+)</td>", bounced) == ["cy@yahoo.com",
                                                                  "flo@gmail.com"]


def test_unknown_campaign_is_404(signed_in: TestClient) -> None:
    response = signed_in.get("/campaigns/nope")
    assert response.status_code == 404
    assert "No campaign has id &#39;nope&#39;" in response.text
