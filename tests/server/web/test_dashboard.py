"""The dashboard page: whole page vs fragment, cards coloured by status, charts, filters,
and the poll that answers 204 until the data changes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.ingest import load_frame, read_bytes
from tests.server.web.conftest import log_in
from tests.worlds.dashboard import load_world

HX = {"HX-Request": "true"}
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def signed_in(client: TestClient, engine: Engine, admin_key: str) -> TestClient:
    load_world(engine)
    log_in(client, admin_key)
    return client


def cards(html: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r'data-metric="([A-Z_]+)" data-status="([a-z_]+)">\s*'
                       r'<span class="label">[^<]*</span>\s*<span class="value">([^<]*)</span>',
                       html)
    return {metric: (status, value) for metric, status, value in found}


def test_page_and_fragment(signed_in: TestClient) -> None:
    page = signed_in.get("/dashboard", params=MARCH)
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    assert '<a href="/dashboard" aria-current="page">Dashboard</a>' in page.text
    fragment = signed_in.get("/dashboard", params=MARCH, headers=HX)
    assert fragment.text.startswith('<div id="dashboard" class="dashboard"')
    assert "<html" not in fragment.text
    version = re.search(r'data-version="([0-9a-f]+)"', fragment.text).group(1)
    # The poll URL carries the version shown; it repeats every 30 s.
    assert f"since={version}" in fragment.text and 'hx-trigger="every 30s"' in fragment.text


def test_cards_show_values_and_statuses(signed_in: TestClient) -> None:
    page = signed_in.get("/dashboard", params=MARCH)
    assert page.template == "dashboard.html"
    assert page.context["query"] == "from=2026-03-01&to=2026-03-31&granularity=WEEK"
    board = page.context["board"]
    assert (board["from"], board["to"], board["campaignCount"], board["currency"]) == (
        "2026-03-01", "2026-03-31", 2, "USD")
    assert board["summary"]["counters"] == {"sent": 12, "delivered": 9, "conversions": 2,
                                            "revenue": "65.0000"}
    assert page.context["cards"][:2] == [
        {"metric": "DELIVERY_RATE", "label": "Delivery rate", "status": "bad",
         "value": "75.00%", "target": "98.00%", "bound": "≥", "difference": "−23.00%"},
        {"metric": "BOUNCE_RATE", "label": "Bounce rate", "status": "bad",
         "value": "25.00%", "target": "2.00%", "bound": "≤", "difference": "+23.00%"}]
    assert page.context["poll_url"] == (
        f"/dashboard?{page.context['query']}&since={board['dataVersion']}")
    html = page.text
    shown = cards(html)
    assert shown["DELIVERY_RATE"] == ("bad", "75.00%")
    assert shown["OPEN_RATE"] == ("good", "66.67%")
    assert shown["HUMAN_OPEN_RATE"] == ("no_target", "55.56%")
    assert shown["REVENUE_PER_EMAIL"] == ("good", "7.22")
    assert '<span class="value" id="card-sent">12</span>' in html
    assert '<span class="value" id="card-revenue">65.00 USD</span>' in html
    assert "target ≥ 98.00% · −23.00%" in html


def test_charts_are_inline_svg(signed_in: TestClient) -> None:
    html = signed_in.get("/dashboard", params=MARCH).text
    assert html.count('class="chart line-chart"') == 10
    assert html.count('class="chart bar-chart"') == 5
    assert 'data-label="gmail.com" data-value="0.8"' in html
    assert "<script" not in html.split("<body", 1)[1]


def test_filters_narrow_the_numbers(signed_in: TestClient) -> None:
    html = signed_in.get("/dashboard", params={**MARCH, "type": "newsletter"}, headers=HX).text
    assert '<span class="value" id="card-sent">6</span>' in html
    assert 'value="newsletter" checked' in html
    html = signed_in.get("/dashboard", params={**MARCH, "segment": "s-vip"}, headers=HX).text
    assert '<span class="value" id="card-sent">5</span>' in html
    html = signed_in.get("/dashboard", params={"from": "2026-03-09", "to": "2026-03-31"}).text
    assert '<span class="value" id="card-sent">6</span>' in html


def test_default_period_ends_at_the_last_send(signed_in: TestClient) -> None:
    html = signed_in.get("/dashboard").text
    assert 'id="from" name="from" type="date" value="2025-12-11"' in html
    assert 'id="to" name="to" type="date" value="2026-03-10"' in html


def test_poll_answers_204_until_new_events(signed_in: TestClient, engine: Engine) -> None:
    fragment = signed_in.get("/dashboard", params=MARCH, headers=HX).text
    version = re.search(r'data-version="([0-9a-f]+)"', fragment).group(1)
    poll = {**MARCH, "granularity": "WEEK", "since": version}
    assert signed_in.get("/dashboard", params=poll, headers=HX).status_code == 204
    load_frame("events", read_bytes(b"event_id,type,occurred_at,message_id,user_agent\n"
                                    b"e99,click,2026-03-11T08:00:00Z,m21,Outlook\n", "csv"),
               engine=engine)
    changed = signed_in.get("/dashboard", params=poll, headers=HX)
    assert changed.status_code == 200
    assert re.search(r'data-version="([0-9a-f]+)"', changed.text).group(1) != version
    assert cards(changed.text)["CLICK_RATE"] == ("good", "44.44%")


def test_bad_filter_is_explained(signed_in: TestClient) -> None:
    response = signed_in.get("/dashboard", params={"from": "03/01/2026"})
    assert response.status_code == 400
    assert "from: &#39;03/01/2026&#39; is not a date; use YYYY-MM-DD" in response.text
    response = signed_in.get("/dashboard", params={"from": "2026-04-01", "to": "2026-03-01"})
    assert response.status_code == 400
    assert "from (2026-04-01) is after to (2026-03-01)" in response.text


def test_empty_database_page(client: TestClient, admin_key: str) -> None:
    log_in(client, admin_key)
    html = client.get("/dashboard").text
    assert "0 campaigns" in html
    assert cards(html)["OPEN_RATE"] == ("no_data", "—")
    assert "No segment members among these sends." in html
