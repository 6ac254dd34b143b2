"""docs/report-columns.md lists exactly the columns each report download has."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import polars as pl
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from server.db.models import CustomerScore, ModelVersion, ScoreRun
from server.ingest.customers import refresh_everyone
from server.runners.predictions import EXPORT_SCHEMA, export_scores
from server.runners.report_tables import REPORTS, ReportError, build_table
from tests.server.ingest.conftest import load_world as load_shop
from tests.server.runners.budget_world import load_budget_world
from tests.server.web.conftest import make_key
from tests.server.web.test_reports_export import MARCH, QUERIES, read
from tests.worlds.dashboard import load_world

DOCS = Path(__file__).resolve().parents[3] / "docs" / "report-columns.md"
CELL = re.compile(r"`([^`]+)` \(([A-Za-z0-9]+)")


def _documented() -> dict[str, list[tuple[str, str]]]:
    rows = {}
    for line in DOCS.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = CELL.findall(cells[1])
    return rows


def test_every_report_has_its_documented_columns(engine: Engine) -> None:
    load_world(engine)
    documented = _documented()
    assert sorted(documented) == sorted(REPORTS)
    for name in REPORTS:
        query = parse_qs(QUERIES.get(name, MARCH))
        frame = build_table(engine, name, {key: values[0] for key, values in query.items()},
                            query)
        columns = [(column, str(dtype).split("(")[0]) for column, dtype in frame.schema.items()]
        if name == "campaign-breakdown":  # its first column is the dimension asked for
            assert columns[0][0] == query["dimension"][0]
            columns[0] = ("<dimension>", columns[0][1])
        assert columns == documented[name], name



# --- segments, budget-categories, scores: exact rows on small known worlds -------------

SHOP_AS_OF = datetime(2026, 3, 20, tzinfo=UTC)
# The shop world refreshed on SHOP_AS_OF: segment, member_count, members, lifetime_revenue.
SEGMENT_COUNTS = [
    # No churn scores are published in this shop: the churn-risk segments are empty.
    ("churn-risk-critical", 0, 0, 0.0), ("churn-risk-high", 0, 0, 0.0),
    ("churn-risk-low", 0, 0, 0.0), ("churn-risk-medium", 0, 0, 0.0),
    ("cluster-engaged-buyers", 1, 1, 75.5), ("cluster-lapsing", 2, 2, 99.99),
    ("lifecycle-active", 2, 2, 175.49), ("lifecycle-at-risk", 0, 0, 0.0),
    ("lifecycle-churned", 1, 1, 0.0), ("lifecycle-dormant", 0, 0, 0.0),
    ("lifecycle-new", 0, 0, 0.0), ("lifecycle-win-back", 0, 0, 0.0),
    ("rfm-about-to-sleep", 1, 1, 75.5), ("rfm-at-risk", 0, 0, 0.0),
    ("rfm-cannot-lose-them", 0, 0, 0.0), ("rfm-champions", 0, 0, 0.0),
    ("rfm-hibernating", 0, 0, 0.0), ("rfm-lost", 1, 1, 99.99), ("rfm-loyal", 0, 0, 0.0),
    ("rfm-need-attention", 0, 0, 0.0), ("rfm-new", 0, 0, 0.0),
    ("rfm-potential-loyalists", 0, 0, 0.0), ("rfm-promising", 0, 0, 0.0),
    ("value-high", 1, 1, 99.99), ("value-low", 1, 1, 75.5), ("value-medium", 0, 0, 0.0)]
SEGMENT_ROWS = [
    {"segment_id": "cluster-lapsing", "name": "Cluster: Lapsing", "kind": "cluster",
     "definition": "Lapsing", "member_count": 2, "computed_at": SHOP_AS_OF, "members": 2,
     "open_rate_90d": 1.0, "click_rate_90d": 0.0, "lifetime_revenue": 99.99,
     "average_engagement": 0.407666},
    {"segment_id": "lifecycle-at-risk", "name": "Lifecycle: at risk", "kind": "lifecycle",
     "definition": 'lifecycle_stage == "at_risk"', "member_count": 0,
     "computed_at": SHOP_AS_OF, "members": 0, "open_rate_90d": None, "click_rate_90d": None,
     "lifetime_revenue": 0.0, "average_engagement": None},
    {"segment_id": "value-high", "name": "Value tier: high", "kind": "value_tier",
     "definition": "high", "member_count": 1, "computed_at": SHOP_AS_OF, "members": 1,
     "open_rate_90d": None, "click_rate_90d": None, "lifetime_revenue": 99.99,
     "average_engagement": 3.408532}]
# The budget world over all months, revenue split by spend (see test_budget.py).
BUDGET_ROWS = [
    {"category": "content", "currency": "USD", "spend": 60.0, "revenue": 273.118280,
     "conversions": 0.263441, "roi_percent": 355.197133, "cpa": 227.755102,
     "revenue_per_email": 68.279570, "efficiency": 0.880891, "consistency": 0.762314,
     "score": 0.0},
    {"category": "search", "currency": "USD", "spend": 1520.0, "revenue": 7784.027458,
     "conversions": 5.702116, "roi_percent": 412.107070, "cpa": 266.567717,
     "revenue_per_email": 1946.006864, "efficiency": 0.991022, "consistency": 0.781095,
     "score": 0.792558},
    {"category": "social", "currency": "USD", "spend": 510.0, "revenue": 2742.854262,
     "conversions": 2.034443, "roi_percent": 437.814561, "cpa": 250.682828,
     "revenue_per_email": 685.713566, "efficiency": 1.040771, "consistency": 0.781095,
     "score": 1.0}]
BUDGET_MARCH = [("search", 150.0), ("social", 60.0)]
BUDGET_PROBLEMS = [
    ({"from": "2026-05-01", "to": "2026-01-01"}, r"^from \(2026-05-01\) must be before to"),
    ({"from": "March"}, r"^from: 'March' is not a date; use YYYY-MM-DD"),
    ({"model": "best"}, r"^model: unknown attribution model 'best'")]


def _shop(engine: Engine) -> None:
    load_shop(engine)
    refresh_everyone(engine, SHOP_AS_OF)


def _scored(engine: Engine) -> tuple[int, int]:
    """A churn run and an ltv run, published, over three customers (u2 has no ltv score,
    u3 no churn score): the versions' ids."""
    now = datetime(2026, 4, 1, tzinfo=UTC)
    ids = []
    with Session(engine) as session:
        for kind in ("churn", "ltv"):
            version = ModelVersion(
                kind=kind, served="baseline", reason="test", metrics="{}", calibration="[]",
                importance="[]", features="[]", train_cutoff=now, holdout_cutoff=now,
                data_to=now, horizon_days=60, train_rows=1, holdout_rows=1, artifact=b"",
                checksum="0" * 64, active=True)
            session.add(version)
            session.flush()
            run = ScoreRun(version_id=version.id or 0, kind=kind, as_of=now, shards=1,
                           rows=2, completed_at=now)
            session.add(run)
            session.flush()
            for customer_id in (("u1", "u2") if kind == "churn" else ("u1", "u3")):
                if kind == "churn":
                    score = CustomerScore(run_id=run.id or 0, customer_id=customer_id, shard=0,
                                          probability=0.25 if customer_id == "u1" else 0.75,
                                          risk_level="low" if customer_id == "u1" else "high")
                else:
                    score = CustomerScore(run_id=run.id or 0, customer_id=customer_id, shard=0,
                                          expected_orders=2.0, predicted_value=120.5,
                                          p_alive=0.9)
                session.add(score)
            ids.append(version.id or 0)
        session.commit()
    return ids[0], ids[1]


def _approx(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with each float compared to 6 decimals (the figures above are rounded)."""
    return [{key: pytest.approx(value, abs=1e-6) if isinstance(value, float) else value
             for key, value in row.items()} for row in rows]


def _counts(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    return frame.select("segment_id", "member_count", "members",
                        pl.col("lifetime_revenue").round(2)).rows()


def test_segments_have_one_row_per_segment_with_its_performance(engine: Engine) -> None:
    _shop(engine)
    frame = build_table(engine, "segments", {}, {})
    assert _counts(frame) == SEGMENT_COUNTS
    chosen = frame.filter(pl.col("segment_id").is_in(
        ["cluster-lapsing", "lifecycle-at-risk", "value-high"]))
    assert chosen.rows(named=True) == _approx(SEGMENT_ROWS)


def test_budget_categories_are_the_budget_pages_table(engine: Engine) -> None:
    load_budget_world(engine)
    frame = build_table(engine, "budget-categories", {}, {}, currency="EUR")
    assert frame.rows(named=True) == _approx(BUDGET_ROWS)  # the spend rows name USD
    for model in ("", "LAST_TOUCH"):
        march = build_table(engine, "budget-categories",
                            {"from": "2026-03-01", "to": "2026-04-01", "model": model}, {})
        assert march.select("category", "spend").rows() == BUDGET_MARCH
    for params, message in BUDGET_PROBLEMS:
        with pytest.raises(ReportError, match=message):
            build_table(engine, "budget-categories", params, {})


def test_scores_are_the_scores_export(engine: Engine) -> None:
    churn, ltv = _scored(engine)
    frame = build_table(engine, "scores", {}, {})
    assert frame.equals(export_scores(engine))
    assert frame.rows() == [
        ("u1", 0.25, "low", 2.0, 120.5, 0.9, None, churn, ltv),
        ("u2", 0.75, "high", None, None, None, None, churn, None),
        ("u3", None, None, 2.0, 120.5, 0.9, None, None, ltv)]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "arrow"])
@pytest.mark.parametrize("name", ["segments", "budget-categories", "scores"])
def test_the_new_reports_download_in_every_format(client: TestClient, engine: Engine,
                                                 name: str, fmt: str) -> None:
    client.headers["Authorization"] = f"Bearer {make_key(engine, 'analyst')}"
    url = f"/api/export/report/{name}.{fmt}"
    if name == "segments":
        _shop(engine)
        frame = read(client.get(url), fmt)
        assert _counts(frame) == SEGMENT_COUNTS
        chosen = frame.filter(pl.col("segment_id").is_in(
            ["cluster-lapsing", "lifecycle-at-risk", "value-high"]))
        if fmt == "csv":  # CSV carries no types: timestamps come back as text
            chosen = chosen.with_columns(pl.col("computed_at").str.to_datetime(
                time_zone="UTC"), pl.col("open_rate_90d", "click_rate_90d",
                                         "average_engagement").cast(pl.Float64))
        assert chosen.rows(named=True) == _approx(SEGMENT_ROWS)
    elif name == "budget-categories":
        load_budget_world(engine)
        assert read(client.get(url), fmt).rows(named=True) == _approx(BUDGET_ROWS)
        march = read(client.get(f"{url}?from=2026-03-01&to=2026-04-01"), fmt)
        assert march.select("category", "spend").rows() == BUDGET_MARCH
        bad = client.get(f"{url}?model=best")
        assert bad.status_code == 400 and bad.json()["error"].startswith(
            "model: unknown attribution model 'best'")
    else:
        churn, ltv = _scored(engine)
        frame = read(client.get(url), fmt)
        assert frame.columns == list(EXPORT_SCHEMA)
        assert frame.select("customer_id", "churn_probability", "risk_level",
                            "churn_model_version", "ltv_model_version").rows() == [
            ("u1", 0.25, "low", churn, ltv), ("u2", 0.75, "high", churn, None),
            ("u3", None, None, None, ltv)]


@pytest.mark.parametrize("name", ["segments", "budget-categories", "scores"])
def test_the_new_reports_need_the_analyst_role(client: TestClient, engine: Engine,
                                               name: str) -> None:
    client.headers["Authorization"] = f"Bearer {make_key(engine, 'viewer')}"
    response = client.get(f"/api/export/report/{name}.csv")
    assert response.status_code == 403 and "analyst" in response.json()["error"]

