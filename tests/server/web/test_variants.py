"""The variant-selection page: allocation and estimates with charts, the run button for
analysts (CSRF-checked) with live progress, and the CSV export."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from jobs.broker import broker
from server.runners import variants as runner
from server.web.variants import interval_chart
from tests.server.web.conftest import log_in, make_key
from tests.worlds.shop import load_shop

HX = {"HX-Request": "true"}


@pytest.fixture
def shop(engine: Engine) -> Engine:
    return load_shop(engine)


@pytest.fixture
def analyst_key(engine: Engine) -> str:
    return make_key(engine, "analyst")


def test_an_empty_report_invites_a_selection(client: TestClient, shop: Engine,
                                             analyst_key: str) -> None:
    log_in(client, analyst_key)
    page = client.get("/campaigns/sel/variants")

    assert page.status_code == 200 and page.template == "variants.html"
    assert page.context["report"]["choices"] == 0
    assert page.context["can_run"] is True and page.context["live"] is False
    assert "Choose variants for the audience" in page.text
    assert "No variant has been chosen for this campaign yet." in page.text


def test_the_report_shows_allocation_estimates_and_exports(client: TestClient, shop: Engine,
                                                           viewer_key: str) -> None:
    runner.select(shop, runner.SelectParams(campaign_id="sel"))
    log_in(client, viewer_key)
    page = client.get("/campaigns/sel/variants")

    context = page.context
    assert context["can_run"] is False and "Choose variants" not in page.text
    assert [v["choices"] for v in context["report"]["variants"]] == [
        row.choices for row in runner.report(shop, "sel").variants]
    assert len(context["report"]["estimates"]) == 6
    assert 'aria-label="Share of customers given each variant"' in page.text
    assert 'aria-label="Estimated open rate by policy (95%)"' in page.text
    fragment = client.get("/campaigns/sel/variants", headers=HX).text
    assert fragment.startswith('<div id="variant-report" class="card"')

    export = client.get("/campaigns/sel/variants.csv")
    assert export.headers["content-disposition"] == (
        'attachment; filename="variant-selection-sel.csv"')
    frame = pl.read_csv(export.content)
    assert frame["kind"].to_list() == ["variant"] * 2 + ["estimate"] * 6
    assert frame["choices"].head(2).sum() == 12


def test_running_a_selection_needs_analyst_and_a_fresh_form(client: TestClient, shop: Engine,
                                                            viewer_key: str,
                                                            analyst_key: str) -> None:
    broker.flush_all()
    token = log_in(client, viewer_key)
    refused = client.post("/campaigns/sel/variants", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "Choosing variants needs the analyst or admin role" in refused.text
    token = log_in(client, analyst_key)
    expired = client.post("/campaigns/sel/variants", data={"csrf_token": "stale"})
    assert expired.status_code == 403 and "Form expired" in expired.text

    started = client.post("/campaigns/sel/variants", data={"csrf_token": token}, headers=HX)
    assert started.status_code == 200
    assert started.context["live"] is True
    assert started.context["jobs"][0]["state"] in {"QUEUED", "RUNNING"}
    assert 'hx-trigger="every 1s"' in started.text


def test_refusals_and_unknown_campaigns(client: TestClient, shop: Engine,
                                        analyst_key: str) -> None:
    token = log_in(client, analyst_key)
    single = client.post("/campaigns/solo/variants", data={"csrf_token": token})
    assert single.status_code == 400 and "has 1 variant(s)" in single.context["error"]
    assert client.get("/campaigns/nope/variants").status_code == 404
    assert client.get("/campaigns/nope/variants.csv").status_code == 404
    assert client.post("/campaigns/nope/variants", data={"csrf_token": token}).status_code == 404


def test_the_interval_chart_escapes_and_scales() -> None:
    chart = interval_chart([{"policy": "<x>", "method": "ips", "value": 0.2, "lower": 0.1,
                             "upper": 0.3}], label="L")
    assert "&lt;x&gt; · IPS" in chart and "<x>" not in chart
    assert "20.0% (10.0% to 30.0%)" in chart
