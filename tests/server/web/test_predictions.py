"""The predictions pages: versions list with the train form and live jobs, one
version's metrics and charts with activation, a customer's scores and explanation."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import Engine
from starlette.testclient import TestClient

from jobs.broker import broker
from server.runners import predictions as runner
from server.runners import send_time
from tests.server.predictions_world import HORIZON_DAYS, seed_store
from tests.server.send_time_world import seed_send_times
from tests.server.web.conftest import log_in

HX = {"HX-Request": "true"}


@pytest.fixture
def trained(engine: Engine) -> Engine:
    seed_store(engine)
    version = runner.train_model(engine, runner.TrainParams(kind="churn",
                                                            horizon_days=HORIZON_DAYS))
    scoring = runner.start_scoring(engine, version.id or 0, shards=1)
    runner.score_shard(engine, scoring.id or 0, 0)
    return engine


def test_list_shows_versions_and_the_train_form(client: TestClient, trained: Engine,
                                                admin_key: str) -> None:
    log_in(client, admin_key)
    page = client.get("/predictions")

    assert page.status_code == 200
    assert '<a href="/predictions" aria-current="page">Predictions</a>' in page.text
    assert '<tr id="model-1">' in page.text
    assert "<button type=\"submit\">Train model</button>" in page.text
    fragment = client.get("/predictions", headers=HX).text
    assert fragment.startswith('<div id="models" class="card"')
    assert fragment in page.text


def test_viewer_sees_no_train_form_and_cannot_post(client: TestClient, trained: Engine,
                                                   viewer_key: str) -> None:
    token = log_in(client, viewer_key)
    assert "Train model" not in client.get("/predictions").text

    refused = client.post("/predictions", data={"csrf_token": token})

    assert refused.status_code == 403
    assert "Training a model needs the analyst or admin role" in refused.text


def test_training_from_the_page_queues_a_job_shown_live(client: TestClient, trained: Engine,
                                                        admin_key: str) -> None:
    broker.flush_all()
    token = log_in(client, admin_key)

    response = client.post("/predictions", data={"csrf_token": token, "horizon_days": "45"},
                           headers=HX)
    bad = client.post("/predictions", data={"csrf_token": token, "horizon_days": "soon"},
                      headers=HX)

    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.text
    assert re.search(r'<tr id="job-\d+" class="state-(queued|running|done)">', response.text)
    assert bad.status_code == 400
    assert "horizon days &#39;soon&#39; is not a whole number; e.g. 60" in bad.text
    broker.flush_all()


def test_detail_shows_metrics_charts_and_activation(client: TestClient, trained: Engine,
                                                    admin_key: str) -> None:
    runner.train_model(trained, runner.TrainParams(kind="churn", horizon_days=HORIZON_DAYS))
    token = log_in(client, admin_key)
    version = runner.get_version(trained, 2)

    page = client.get("/predictions/2").text

    assert f"<strong>Served: {version.served}.</strong> {escape(version.reason)}." in page
    assert '<table class="data" id="metrics">' in page
    assert page.count("<tr><td>") >= 5
    assert 'aria-label="Calibration on the holdout"' in page
    assert 'aria-label="Feature importance (share of gain)"' in page
    assert "Activate this version" in page
    moved = client.post("/predictions/2/activate", data={"csrf_token": token},
                        follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/predictions/2"
    assert [v.active for v in runner.list_versions(trained)] == [True, False]
    assert "Activate this version" not in client.get("/predictions/2").text
    missing = client.get("/predictions/9")
    assert missing.status_code == 404
    assert "There is no model version 9" in missing.text


def test_customer_page_shows_scores_and_explanation(client: TestClient, trained: Engine,
                                                    viewer_key: str) -> None:
    log_in(client, viewer_key)
    [score] = runner.customer_scores(trained, "u0004")

    page = client.get("/predictions/customers/u0004")

    assert page.status_code == 200
    assert '<table class="data" id="scores">' in page.text
    assert f'<span class="badge">{score.risk_level}</span>' in page.text
    assert 'aria-label="Push on the churn log-odds"' in page.text
    assert client.get("/predictions/customers/nobody").status_code == 404


def test_lifetime_value_detail_and_customer_row(client: TestClient, trained: Engine,
                                                viewer_key: str) -> None:
    version = runner.train_model(trained, runner.TrainParams(kind="ltv",
                                                             horizon_days=HORIZON_DAYS))
    scoring = runner.start_scoring(trained, version.id or 0, shards=1)
    runner.score_shard(trained, scoring.id or 0, 0)
    log_in(client, viewer_key)

    detail = client.get(f"/predictions/{version.id}").text
    listing = client.get("/predictions").text
    customer = client.get("/predictions/customers/u0004").text

    assert f"<h1>Lifetime value model #{version.id}" in detail
    assert "<th>BG/NBD + Gamma-Gamma</th>" in detail
    assert '<div class="card" id="bgnbd">' in detail
    assert "Calibration on the holdout" not in detail
    assert "RMSE" in listing
    assert "still active" in customer


def test_open_model_detail(client: TestClient, trained: Engine, viewer_key: str) -> None:
    version = runner.train_model(trained, runner.TrainParams(kind="open",
                                                             horizon_days=HORIZON_DAYS))
    log_in(client, viewer_key)

    detail = client.get(f"/predictions/{version.id}").text

    assert f"<h1>Open model #{version.id}" in detail
    assert " opened)." in detail
    assert 'aria-label="Calibration on the holdout"' in detail


HX = {"HX-Request": "true"}


def test_page_shows_send_times_and_the_customers_hour(client: TestClient, engine: Engine,
                                                      admin_key: str) -> None:
    log_in(client, admin_key)
    before = client.get("/predictions").text
    seed_send_times(engine)
    send_time.compute_send_times(engine)

    page = client.get("/predictions").text
    customer = client.get("/predictions/customers/s3").text

    assert "No send times yet" in before
    assert "5 customers, computed" in page
    assert "3 from customer, 1 from segment, 1 from global" in page
    assert "Share of customers by best local send hour" in page
    assert "best 21:00 Europe/Berlin, Monday" in customer
    assert "from customer" in customer


def test_recompute_button_queues_a_job_and_viewers_cannot(client: TestClient, engine: Engine,
                                                          admin_key: str,
                                                          viewer_key: str) -> None:
    broker.flush_all()
    token = log_in(client, admin_key)

    response = client.post("/predictions/send-times", data={"csrf_token": token}, headers=HX)

    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.text
    assert "Compute send times" in response.text
    broker.flush_all()
    viewer_token = log_in(client, viewer_key)
    refused = client.post("/predictions/send-times", data={"csrf_token": viewer_token})
    assert refused.status_code == 403
    assert "Computing send times needs the analyst or admin role" in refused.text
