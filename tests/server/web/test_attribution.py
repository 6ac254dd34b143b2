"""The attribution page: page vs htmx fragment, chart, table, settings, errors, exports."""

from __future__ import annotations

import io
import re

import polars as pl
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.web.attribution import PageSettings
from tests.server.ingest.conftest import load_csv
from tests.server.web.conftest import log_in, make_key
from tests.worlds.attribution import load_attribution_world

HX = {"HX-Request": "true"}
MARCH = {"model": "linear", "start": "2026-03-01", "end": "2026-03-31", "lookback": "30",
         "half_life": "7", "first": "0.4", "middle": "0.2", "last": "0.4",
         "group_by": "channel", "kinds": ["open", "click"], "measure": "revenue"}


@pytest.fixture
def world(engine: Engine) -> Engine:
    return load_attribution_world(engine)


def table_rows(html: str) -> list[list[str]]:
    body = html.split('<table class="data" id="attribution-table"', 1)[1]
    body = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_full_page_and_fragment(client: TestClient, world: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    page = client.get("/attribution")
    assert page.status_code == 200
    assert page.text.startswith("<!doctype html>")
    assert '<a href="/attribution" aria-current="page">Attribution</a>' in page.text
    assert 'hx-get="/attribution" hx-trigger="change" hx-target="#report"' in page.text
    fragment = client.get("/attribution", headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.startswith('<div id="report">')
    assert "<html" not in fragment.text
    assert fragment.text in page.text


def test_first_visit_shows_the_latest_90_days(client: TestClient, world: Engine,
                                              admin_key: str) -> None:
    log_in(client, admin_key)
    first = client.get("/attribution")
    # the latest order is o4 on 2026-03-08
    assert (first.context["form"].start, first.context["form"].end) == ("2025-12-09",
                                                                        "2026-03-08")
    html = first.text
    assert '<input id="start" name="start" type="date" value="2025-12-09">' in html
    assert '<input id="end" name="end" type="date" value="2026-03-08">' in html
    assert "4</strong> orders (175.49 USD)" in html
    cleared = client.get("/attribution", params={**MARCH, "start": "", "end": ""})
    assert '<input id="start" name="start" type="date" value="">' in cleared.text


def test_chart_has_a_bar_per_model_and_channel(client: TestClient, world: Engine,
                                               admin_key: str) -> None:
    log_in(client, admin_key)
    html = client.get("/attribution", params=MARCH, headers=HX).text
    bars = re.findall(r'<rect class="bar" data-group="([^"]+)" data-series="([^"]+)"', html)
    channels = ["social", "email", "paid", "web", "sms"]  # by most credit under any model
    models = ["first_touch", "last_touch", "linear", "time_decay", "position_based",
              "markov", "shapley"]
    assert bars == [(channel, model) for channel in channels for model in models]
    assert "<title>linear · email: 27</title>" in html


def test_table_for_the_chosen_model(client: TestClient, world: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    response = client.get("/attribution", params=MARCH, headers=HX)
    assert response.template == "attribution.html"
    assert response.context["form"] == PageSettings(
        model="linear", start="2026-03-01", end="2026-03-31", lookback="30", half_life="7",
        first="0.4", middle="0.2", last="0.4", group_by="channel", kinds=["open", "click"],
        measure="revenue")
    assert [row["key"] for row in response.context["rows"]] == [
        "social", "email", "web", "paid", "sms"]
    assert response.context["can_export"] is True
    html = response.text
    assert "4</strong> orders (175.49 USD)" in html
    assert "3</strong> had a touch in the 30 days before" in html
    assert table_rows(html) == [
        ["social", "1.00", "99.99", "33.3%", "50.00", "100%"],
        ["email", "0.67", "26.67", "22.2%", "10.00", "167%"],
        ["web", "1.00", "15.50", "33.3%", "—", "—"],
        ["paid", "0.33", "13.33", "11.1%", "100.00", "-87%"],
        ["sms", "0.00", "0.00", "0.0%", "—", "—"],
    ]
    with_bounds = table_rows(client.get("/attribution", params={**MARCH, "intervals": "1"},
                                        headers=HX).text)
    interval = re.compile(r"\d+\.\d\d – \d+\.\d\d")
    assert [row[:1] + row[3:4] + row[5:] for row in with_bounds] == [
        [row[0], row[2], *row[3:]] for row in table_rows(html)]
    assert all(interval.fullmatch(row[2]) and interval.fullmatch(row[4])
               for row in with_bounds)
    assert with_bounds[-1][2] == "0.00 – 0.00"  # sms never converts


def test_settings_change_the_report(client: TestClient, world: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    # unticked intervals: a submitted form without the box means off
    html = client.get("/attribution", params={**MARCH, "model": "last_touch",
                                              "group_by": "campaign"}, headers=HX).text
    assert table_rows(html) == [
        ["social", "1.00", "99.99", "33.3%", "—", "—"],
        ["c1", "1.00", "40.00", "33.3%", "10.00", "300%"],
        ["web", "1.00", "15.50", "33.3%", "—", "—"],
        ["ps-brand", "0.00", "0.00", "0.0%", "—", "—"],
        ["sms-weekly", "0.00", "0.00", "0.0%", "—", "—"],
    ]
    assert "<h2>last touch by campaign</h2>" in html
    delivered = client.get("/attribution", params={**MARCH, "kinds": ["delivered"]},
                           headers=HX).text
    assert "4</strong> had a touch" in delivered
    paths = re.findall(r'<tr><td class="name">(.*?)</td>',
                       delivered.split('id="top-paths"')[1].split("</table>")[0])
    assert paths == ["web", "email", "paid &gt; email", "social", "email &gt; sms"]


def test_path_explorer(client: TestClient, world: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    html = client.get("/attribution", params=MARCH, headers=HX).text
    explorer = html.split('id="path-explorer"')[1]
    assert re.findall(r'<tr><td class="name">(.*?)</td>', explorer) == [
        "web", "paid &gt; email &gt; email", "social", "email &gt; sms"]
    assert "[1, 3) d</td><td class=\"num\">3</td>" in explorer
    assert ("<strong>Email's role</strong> in 3 converting journeys with a touch:\n      in "
            "33%;\n      started 0%, closed 33%,\n      assisted only 0%;\n      0.67 email "
            "touches per journey.") in explorer


@pytest.mark.parametrize(("params", "message"), [
    ({"lookback": "a month"}, "Lookback (days): &#39;a month&#39; is not a number; e.g. 30"),
    ({"start": "03/01/2026"}, "From: &#39;03/01/2026&#39; is not a date; use YYYY-MM-DD"),
    ({"start": "2026-04-01"}, "From (2026-04-01) is after To (2026-03-31); swap the dates"),
    ({"kinds": []}, "Email touches: tick at least one of delivered, open, click"),
    ({"model": "u_shaped"}, "Model: &#39;u_shaped&#39; is not an option"),
    ({"lookback": "0"},
     "lookbackDays must be &gt; 0 and at most 3650, got 0.0; 30 looks back a month"),
    ({"first": "0.9"}, "positionWeights first=0.9, middle=0.2, last=0.4 must be &gt;= 0 and "
                       "sum to 1"),
])
def test_bad_settings_explain_the_fix(client: TestClient, world: Engine, admin_key: str,
                                      params: dict[str, object], message: str) -> None:
    log_in(client, admin_key)
    response = client.get("/attribution", params={**MARCH, **params}, headers=HX)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert message in response.text


def test_keys_are_escaped(client: TestClient, world: Engine, admin_key: str) -> None:
    load_csv("touchpoints", "touchpoint_id,customer_id,channel,campaign_id,occurred_at\n"
             "t9,u3,web,<script>x</script>,2026-03-03T09:30:00Z\n", world)
    log_in(client, admin_key)
    html = client.get("/attribution", params={**MARCH, "group_by": "campaign"}).text
    assert "<script>x</script>" not in html
    assert 'data-group="&lt;script&gt;x&lt;/script&gt;"' in html


EXPORT_CSV = """model,channel,conversions,revenue,share,spend,roi
first_touch,email,0.0,0.0,0.0,10.0,-1.0
first_touch,paid,1.0,40.0,0.3333333333333333,100.0,-0.6
"""


def test_export_csv_and_parquet(client: TestClient, world: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    response = client.get("/attribution/export.csv", params=MARCH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="attribution.csv"'
    assert response.text.startswith(EXPORT_CSV)
    frame = pl.read_csv(io.StringIO(response.text))
    assert frame["model"].unique(maintain_order=True).to_list() == [
        "first_touch", "last_touch", "linear", "time_decay", "position_based", "markov",
        "shapley"]
    assert frame.height == 35
    parquet = client.get("/attribution/export.parquet", params=MARCH)
    assert parquet.status_code == 200
    assert pl.read_parquet(io.BytesIO(parquet.content)).equals(frame)
    arrow = client.get("/attribution/export.arrow", params=MARCH)
    assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
    assert pl.read_ipc_stream(io.BytesIO(arrow.content)).equals(frame)
    with_bounds = client.get("/attribution/export.csv", params={**MARCH, "intervals": "1"})
    assert with_bounds.text.splitlines()[0] == (
        "model,channel,conversions,revenue,share,conversions_lower,conversions_upper,"
        "revenue_lower,revenue_upper,spend,roi")


def test_export_needs_the_analyst_role(client: TestClient, world: Engine) -> None:
    log_in(client, make_key(world, "viewer"))
    page = client.get("/attribution", params=MARCH)
    assert page.status_code == 200
    assert page.context["can_export"] is False
    assert "Export CSV" not in page.text
    response = client.get("/attribution/export.csv", params=MARCH)
    assert response.status_code == 403
    assert response.json() == {"error": "This needs the 'analyst' role (or admin); your key "
                                        "'viewer key' has the 'viewer' role."}


def test_unknown_export_format(client: TestClient, world: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    response = client.get("/attribution/export.xlsx", params=MARCH)
    assert response.status_code == 404
    assert "There is no .xlsx export; use .csv, .parquet or .arrow." in response.text


def test_query_string_round_trips() -> None:
    settings = PageSettings(model="shapley", start="2026-03-01", kinds=["open"],
                            intervals=False)
    text = settings.query_string()
    from starlette.datastructures import QueryParams
    assert PageSettings.from_query(QueryParams(text), 30, ["open", "click"]) == settings
