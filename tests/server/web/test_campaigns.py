"""The campaigns page: whole page vs htmx fragment, filters, pages, escaping."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.db.models import Campaign
from tests.server.web.conftest import log_in, seed_campaigns

HX = {"HX-Request": "true"}


def names(html: str) -> list[str]:
    return re.findall(r'<td class="name" title="[^"]*"><a href="[^"]*">(.*?)</a></td>', html)


def test_full_page_and_fragment(client: TestClient, engine: Engine, admin_key: str) -> None:
    seed_campaigns(engine)
    log_in(client, admin_key)
    page = client.get("/campaigns")
    assert page.status_code == 200
    assert page.text.startswith("<!doctype html>")
    assert '<script src="/static/htmx.min.js"></script>' in page.text
    assert 'hx-trigger="input changed delay:300ms, search"' in page.text
    fragment = client.get("/campaigns", headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.startswith('<div id="results" class="card">')
    assert "<html" not in fragment.text
    # The fragment is exactly the block inside the page: one source, no drift.
    assert fragment.text in page.text
    assert "HX-Request" in [v.strip() for v in fragment.headers["vary"].split(",")]


def test_rows_show_metrics(client: TestClient, engine: Engine, admin_key: str) -> None:
    seed_campaigns(engine)
    log_in(client, admin_key)
    response = client.get("/campaigns", params={"search": "spring"}, headers=HX)
    assert response.template == "campaigns.html"
    assert response.context == {
        "campaigns": [{"id": "c-spring", "name": "Spring Sale", "subjectLine": "Spring is here",
                       "campaignType": "promotional", "category": "apparel",
                       "sendAt": "2026-03-01T09:00:00+00:00",
                       "metrics": {"sent": 1000, "delivered": 980, "uniqueOpens": 300,
                                   "uniqueClicks": 45, "conversions": 7,
                                   "revenue": "1234.5000", "currency": "USD"}}],
        "total": 1, "first_row": 1, "last_row": 1, "search": "spring", "campaign_type": "",
        "campaign_types": ["lifecycle", "newsletter", "promotional"],
        "next_href": None, "previous_href": None}
    html = response.text
    assert names(html) == ["Spring Sale"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells == ['<a href="/campaigns/c-spring">Spring Sale</a>', "promotional", "apparel",
                     "2026-03-01 09:00 UTC", "1,000", "980", "300", "45", "7", "1,234.50 USD"]


def test_type_filter(client: TestClient, engine: Engine, admin_key: str) -> None:
    seed_campaigns(engine)
    log_in(client, admin_key)
    page = client.get("/campaigns", params={"type": "lifecycle"})
    assert [row["name"] for row in page.context["campaigns"]] == ["Welcome Series 1"]
    assert page.context["campaign_type"] == "lifecycle"
    assert '<option value="lifecycle" selected>lifecycle</option>' in page.text


def test_campaign_name_is_escaped(client: TestClient, engine: Engine, admin_key: str) -> None:
    seed_campaigns(engine)
    log_in(client, admin_key)
    html = client.get("/campaigns").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_state(client: TestClient, engine: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    assert "No campaigns yet." in client.get("/campaigns").text
    seed_campaigns(engine)
    html = client.get("/campaigns", params={"search": "zzz-nothing"}, headers=HX).text
    assert "No campaigns match these filters." in html
    assert "<table" not in html


def test_pages_of_25_keep_filters(client: TestClient, engine: Engine, admin_key: str) -> None:
    many = [Campaign(campaign_id=f"bulk-{i:02d}", name=f"Bulk {i:02d}",
                     campaign_type="promotional") for i in range(60)]
    seed_campaigns(engine, many)
    log_in(client, admin_key)
    first = client.get("/campaigns", params={"search": "bulk", "type": "promotional"})
    assert len(first.context["campaigns"]) == 25
    assert (first.context["first_row"], first.context["last_row"], first.context["total"]) \
        == (1, 25, 60)
    assert "Showing 1–25 of 60 campaigns" in first.text
    next_href = first.context["next_href"]
    assert f'href="{next_href.replace("&", "&amp;")}"' in first.text
    assert "search=bulk" in next_href and "type=promotional" in next_href
    second = client.get(next_href)
    assert (second.context["first_row"], second.context["last_row"]) == (26, 50)
    assert "Showing 26–50 of 60 campaigns" in second.text
    third = client.get(second.context["next_href"])
    assert (third.context["first_row"], third.context["last_row"]) == (51, 60)
    assert third.context["next_href"] is None
    assert 'rel="next"' not in third.text

    def shown(response) -> list[str]:
        return [row["name"] for row in response.context["campaigns"]]

    assert len(set(shown(first) + shown(second) + shown(third))) == 60
    back = client.get(third.context["previous_href"])
    assert shown(back) == shown(second)
    assert names(back.text) == names(second.text)


def test_home_redirects_to_the_dashboard(client: TestClient, admin_key: str) -> None:
    log_in(client, admin_key)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
