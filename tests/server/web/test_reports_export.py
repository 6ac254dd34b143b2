"""GET /api/export/report/...: every report as CSV and Parquet, the same figures as the
API, for analysts."""

from __future__ import annotations

import io

import polars as pl
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.runners.report_tables import REPORTS
from tests.server.web.conftest import make_key
from tests.worlds.dashboard import load_world

MARCH = "from=2026-03-01&to=2026-03-31"
QUERIES = {
    "campaign-metrics": "campaign=c1", "campaign-breakdown": "campaign=c1&dimension=device",
    "campaign-recipients": "campaign=c1&status=opened", "campaign-statistics": "id=c1,c2",
    "campaign-correlations": "id=c1&id=c2", "experiment-results": "campaign=c1",
}
# The dashboard world has no spend and no scores: these download with their columns only
# (their rows are checked in tests/server/runners/test_report_tables.py).
EMPTY_HERE = ("budget-categories", "scores")


@pytest.fixture
def analyst(client: TestClient, engine: Engine) -> TestClient:
    load_world(engine)
    client.headers["Authorization"] = f"Bearer {make_key(engine, 'analyst')}"
    return client


def read(response, fmt: str) -> pl.DataFrame:
    assert response.status_code == 200, response.text
    if fmt == "csv":
        return pl.read_csv(io.BytesIO(response.content))
    if fmt == "arrow":
        assert response.headers["content-type"] == "application/vnd.apache.arrow.stream"
        return pl.read_ipc_stream(io.BytesIO(response.content))
    return pl.read_parquet(io.BytesIO(response.content))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "arrow"])
def test_every_report_downloads(analyst: TestClient, fmt: str) -> None:
    for name in REPORTS:
        response = analyst.get(f"/api/export/report/{name}.{fmt}?{QUERIES.get(name, MARCH)}")
        frame = read(response, fmt)
        assert frame.height == 0 if name in EMPTY_HERE else frame.height > 0, name
        assert response.headers["content-disposition"].startswith(
            f'attachment; filename="{name}-')


def test_summary_matches_the_dashboard(analyst: TestClient) -> None:
    frame = read(analyst.get(f"/api/export/report/dashboard-summary.csv?{MARCH}"), "csv")
    open_rate = frame.filter(pl.col("metric") == "open_rate").row(0, named=True)
    assert open_rate == {"metric": "open_rate", "label": "Open rate", "value": 6 / 9,
                         "target": 0.22, "status": "good", "difference": 6 / 9 - 0.22,
                         "higher_is_better": True, "numerator": 6.0, "denominator": 9}
    providers = read(analyst.get(f"/api/export/report/dashboard-providers.parquet?{MARCH}"),
                     "parquet")
    assert providers.select("email_domain", "sent", "delivered").rows() == [
        ("gmail.com", 5, 4), ("yahoo.com", 5, 3), ("outlook.com", 2, 2)]


def test_filters_apply(analyst: TestClient) -> None:
    frame = read(analyst.get("/api/export/report/dashboard-campaigns.csv?type=newsletter"),
                 "csv")
    assert frame["campaign_id"].to_list() == ["c2"]
    recipients = read(analyst.get(
        "/api/export/report/campaign-recipients.csv?campaign=c1&status=converted"), "csv")
    assert recipients.select("message_id", "email", "revenue").rows() == [
        ("m11", "ana@gmail.com", 40.0)]


def test_problems_are_explained(analyst: TestClient) -> None:
    unknown = analyst.get("/api/export/report/nothing.csv")
    assert unknown.status_code == 404 and "unknown report 'nothing'" in unknown.json()["error"]
    assert analyst.get("/api/export/report/dashboard-trend.xlsx").status_code == 404
    missing = analyst.get("/api/export/report/campaign-breakdown.csv")
    assert missing.json() == {"error": "campaign: this report needs ?campaign=<campaign id>"}
    bad = analyst.get("/api/export/report/dashboard-trend.csv?from=yesterday")
    assert bad.status_code == 400 and "use YYYY-MM-DD" in bad.json()["error"]


def test_needs_the_analyst_role(client: TestClient, engine: Engine) -> None:
    client.headers["Authorization"] = f"Bearer {make_key(engine, 'viewer')}"
    response = client.get("/api/export/report/dashboard-summary.csv")
    assert response.status_code == 403
    assert "analyst" in response.json()["error"]


def test_experiment_results_have_one_row_per_metric_and_variant(analyst: TestClient) -> None:
    frame = read(analyst.get("/api/export/report/experiment-results.arrow?campaign=c1"),
                 "arrow")
    assert frame.columns == [
        "campaign_id", "metric", "kind", "method", "control", "variant", "control_value",
        "variant_value", "difference", "difference_low", "difference_high",
        "relative_lift", "lift_low", "lift_high", "significant", "p_value",
        "probability_better"]
    assert frame.get_column("campaign_id").unique().to_list() == ["c1"]
    assert frame.height == frame.select("metric", "variant").unique().height
    assert (frame.get_column("variant") != frame.get_column("control")).all()
    differences = frame.get_column("variant_value") - frame.get_column("control_value")
    assert (differences - frame.get_column("difference")).abs().max() < 1e-12
