"""The predictions runner on SQLite and PostgreSQL: train, score in shards, publish,
activate and roll back, explain, export."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from analytics.predictions import InsufficientData
from analytics.predictions.churn import CHURN_FEATURES
from analytics.predictions.lifetime import LTV_FEATURES
from server.db.models import EmailEvent, Message, Order, Product
from server.db.repository import predictions as repo
from server.runners import predictions as runner
from tests.server.predictions_world import CUSTOMERS, HORIZON_DAYS, seed_store

PARAMS = runner.TrainParams(kind="churn", horizon_days=HORIZON_DAYS)


@pytest.fixture
def store(engine: Engine) -> Engine:
    seed_store(engine)
    yield engine
    engine.dispose()


def _score(engine: Engine, version_id: int, shards: int) -> int:
    run = runner.start_scoring(engine, version_id, shards=shards)
    for shard in range(shards):
        runner.score_shard(engine, run.id or 0, shard)
    return run.id or 0


def test_training_stores_an_active_version_with_both_models_metrics(store):
    version = runner.train_model(store, PARAMS)

    assert (version.id, version.kind, version.active, version.horizon_days) == (
        1, "churn", True, HORIZON_DAYS)
    assert version.served in ("lightgbm", "baseline")
    assert version.reason.startswith("LightGBM beats" if version.served == "lightgbm"
                                     else "the baseline is served")
    metrics = runner.version_metrics(version)
    assert set(metrics["model"]) >= {"auc", "pr_auc", "log_loss", "brier", "ece"}
    assert set(metrics["baseline"]) == {"auc", "pr_auc", "log_loss", "brier", "ece"}
    assert version.train_rows == version.holdout_rows == CUSTOMERS
    assert (version.holdout_cutoff - version.train_cutoff).days == HORIZON_DAYS
    assert (version.data_to - version.holdout_cutoff).days == HORIZON_DAYS
    assert len(version.checksum) == 64


def test_a_second_version_waits_and_activation_rolls_back(store):
    first = runner.train_model(store, PARAMS)
    second = runner.train_model(store, PARAMS)
    assert [(v.id, v.active) for v in runner.list_versions(store, "churn")] == [
        (second.id, False), (first.id, True)]

    runner.activate(store, second.id or 0)
    runner.activate(store, first.id or 0)

    assert [(v.id, v.active) for v in runner.list_versions(store)] == [
        (second.id, False), (first.id, True)]
    with pytest.raises(LookupError, match="model version 99 does not exist"):
        runner.activate(store, 99)


def test_two_shards_give_exactly_the_single_worker_scores(store):
    version = runner.train_model(store, PARAMS)
    single = repo.run_scores(engine=store, run_id=_score(store, version.id or 0, 1))
    assert single.height == CUSTOMERS
    run = runner.start_scoring(store, version.id or 0, shards=2)
    first = runner.score_shard(store, run.id or 0, 0)
    second = runner.score_shard(store, run.id or 0, 1)

    assert (first.published, second.published) == (False, True)
    assert first.rows + second.rows == CUSTOMERS
    assert_frame_equal(repo.run_scores(engine=store, run_id=run.id or 0), single)


def test_scores_of_a_run_are_visible_only_once_every_shard_is_written(store):
    version = runner.train_model(store, PARAMS)
    run = runner.start_scoring(store, version.id or 0, shards=2)
    runner.score_shard(store, run.id or 0, 1)
    assert runner.customer_scores(store, "u0001") == []
    assert runner.export_scores(store).height == 0

    runner.score_shard(store, run.id or 0, 1)  # a retried shard replaces its rows
    runner.score_shard(store, run.id or 0, 0)

    [score] = runner.customer_scores(store, "u0001")
    assert (score.kind, score.version_id) == ("churn", version.id)
    assert score.risk_level in ("low", "medium", "high", "critical")
    with store.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM customer_score")).scalar() \
            == CUSTOMERS


def test_a_new_run_replaces_the_versions_previous_scores(store):
    version = runner.train_model(store, PARAMS)
    _score(store, version.id or 0, 2)
    latest = _score(store, version.id or 0, 3)

    with Session(store) as session:
        assert repo.published_run(session=session, kind="churn").id == latest
    with store.connect() as connection:
        runs = connection.execute(text("SELECT id FROM score_run ORDER BY id")).scalars()
        assert list(runs) == [latest]


def test_export_has_one_row_per_customer_with_the_version(store):
    version = runner.train_model(store, PARAMS)
    _score(store, version.id or 0, 2)

    frame = runner.export_scores(store)

    assert frame.columns == list(runner.EXPORT_COLUMNS)
    assert frame.height == CUSTOMERS
    assert frame["churn_model_version"].unique().to_list() == [version.id]
    assert frame["churn_probability"].is_between(0, 1).all()
    levels = pl.Series(["low", "medium", "high", "critical"])
    assert frame["risk_level"].is_in(levels.implode()).all()


def test_explanation_adds_up_to_the_customers_log_odds(store):
    runner.train_model(store, PARAMS)

    explanation = runner.explain_customer(store, "u0002", "churn")

    assert explanation is not None
    assert explanation.contributions
    if explanation.served == "lightgbm":
        top = sorted(abs(c.contribution) for c in explanation.contributions)
        assert top[-1] == abs(explanation.contributions[0].contribution)
    assert runner.explain_customer(store, "nobody", "churn") is None


def test_too_little_data_is_refused_with_what_is_missing(store):
    early = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(InsufficientData) as refused:
        runner.train_model(store, runner.TrainParams(kind="churn", horizon_days=30,
                                                     as_of=early))
    message = str(refused.value)
    assert message.startswith("churn model not trained: ")
    assert "days of history before the training cutoff, need 30" in message
    assert runner.list_versions(store) == []


def test_arguments_are_checked_with_the_fix(engine):
    with pytest.raises(ValueError,
                       match="kind 'nps' is unknown; choose one of churn, ltv, open, click"):
        runner.TrainParams(kind="nps", horizon_days=30).validate()
    with pytest.raises(ValueError, match="horizonDays must be between 1 and 730, got 0"):
        runner.TrainParams(kind="churn", horizon_days=0).validate()
    with pytest.raises(ValueError, match="there is no data to model"):
        runner.train_model(engine, PARAMS)
    engine.dispose()


LTV = runner.TrainParams(kind="ltv", horizon_days=HORIZON_DAYS)


def test_lifetime_value_is_trained_scored_and_exported_beside_churn(store):
    churn = runner.train_model(store, PARAMS)
    ltv = runner.train_model(store, LTV)
    _score(store, churn.id or 0, 2)
    _score(store, ltv.id or 0, 2)

    metrics = runner.version_metrics(ltv)
    assert (ltv.kind, ltv.active, metrics["type"]) == ("ltv", True, "regression")
    assert set(metrics["model"]) == set(metrics["baseline"]) == {
        "mae", "rmse", "msle", "correlation", "bias"}
    assert ltv.reason.startswith("LightGBM beats BG/NBD" if ltv.served == "lightgbm"
                                 else "BG/NBD + Gamma-Gamma is served")
    frame = runner.export_scores(store)
    assert frame.height == CUSTOMERS
    assert frame["ltv_model_version"].unique().to_list() == [ltv.id]
    assert frame["churn_model_version"].unique().to_list() == [churn.id]
    assert (frame["p_alive"].is_between(0, 1).all()
            and (frame["expected_orders"] >= 0).all() and (frame["predicted_clv"] >= 0).all())
    kinds = {view.kind: view for view in runner.customer_scores(store, "u0001")}
    assert set(kinds) == {"churn", "ltv"}
    assert kinds["ltv"].probability is None and kinds["ltv"].expected_orders is not None
    explanation = runner.explain_customer(store, "u0001", "ltv")
    assert explanation is not None and explanation.served == "lightgbm"


def test_lifetime_value_refuses_without_enough_buyers(store):
    early = datetime(2026, 2, 20, tzinfo=UTC)
    with pytest.raises(InsufficientData, match="^lifetime value model not trained: ") as no:
        runner.train_model(store, runner.TrainParams(kind="ltv", horizon_days=30,
                                                     as_of=early))
    # The first order came 46.75 days before --as-of: 30 of history, two of 8 days.
    assert str(no.value).endswith("With the orders imported, --horizon-days can be at "
                                  "most 8.")


@pytest.mark.parametrize("kind", ["open", "click"])
def test_engagement_models_train_on_sends_and_are_not_scored_per_customer(store, kind):
    version = runner.train_model(store, runner.TrainParams(kind=kind,
                                                           horizon_days=HORIZON_DAYS))

    metrics = runner.version_metrics(version)
    assert (version.kind, version.active, metrics["type"]) == (kind, True, "classifier")
    assert version.train_rows > 1000 and version.holdout_rows > 1000
    assert set(metrics["baseline"]) == {"auc", "pr_auc", "log_loss", "brier", "ece"}
    with pytest.raises(ValueError, match=f"{kind} models score \\(customer, campaign\\) "
                                         "pairs on demand"):
        runner.start_scoring(store, version.id or 0, shards=1)
    assert runner.explain_customer(store, "u0001", kind) is None


def test_engagement_refuses_without_enough_sends(store):
    with pytest.raises(InsufficientData, match="^open model not trained: 0 sends in the "
                                               "training window, need 1000"):
        runner.train_model(store, runner.TrainParams(
            kind="open", horizon_days=30, as_of=datetime(2026, 1, 20, tzinfo=UTC)))


AGENTS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0")
CATEGORIES = ("shoes", "hats", "socks")


def _with_preferences(engine: Engine) -> None:
    """Every human open gets an event with a user agent (by customer number: phones and
    desktops), and every order a line item of a categorised product."""
    with engine.begin() as connection:
        connection.execute(insert(Product), [
            {"product_id": f"p{i}", "name": name, "category": name}
            for i, name in enumerate(CATEGORIES)])
        connection.execute(text(
            "INSERT INTO email_event (event_id, type, occurred_at, message_id, user_agent, "
            "machine_open) SELECT 'e' || message_id, 'open', first_human_open_at, "
            "message_id, CASE WHEN CAST(SUBSTR(customer_id, 2) AS INTEGER) % 2 = 0 "
            "THEN :phone ELSE :desktop END, :machine FROM message "
            "WHERE first_human_open_at IS NOT NULL"),
            {"phone": AGENTS[0], "desktop": AGENTS[1], "machine": False})
        connection.execute(text(
            "UPDATE orders SET items = '[{\"product_id\": \"p' || "
            "CAST(LENGTH(order_id) % 3 AS VARCHAR(1)) || '\", \"quantity\": 1, "
            "\"price\": 10}]'"))


def _future(engine: Engine, after: datetime) -> None:
    """Sends, opens on a tablet and orders of another category, all at or after
    ``after``: what a model trained as of ``after`` must not see."""
    with engine.begin() as connection:
        connection.execute(insert(Product), [{"product_id": "late", "name": "Late",
                                              "category": "late"}])
        connection.execute(insert(Message), [
            {"message_id": f"f{i}", "campaign_id": "c9", "variant_id": "",
             "customer_id": f"u{i:04d}", "sent_at": after, "first_human_open_at": after,
             "open_count": 1, "revenue": Decimal(0)} for i in range(0, CUSTOMERS, 3)])
        connection.execute(insert(EmailEvent), [
            {"event_id": f"ef{i}", "type": "open", "occurred_at": after,
             "message_id": f"f{i}", "user_agent": "Mozilla/5.0 (iPad)",
             "machine_open": False} for i in range(0, CUSTOMERS, 3)])
        connection.execute(insert(Order), [
            {"order_id": f"of{i}", "customer_id": f"u{i:04d}", "occurred_at": after,
             "amount": Decimal(500), "currency": "USD",
             "items": '[{"product_id": "late", "quantity": 50, "price": 10}]'}
            for i in range(0, CUSTOMERS, 3)])


def test_preferences_reach_the_models_and_the_future_changes_nothing(store):
    _with_preferences(store)
    as_of = repo.data_span(engine=store)[1] + timedelta(microseconds=1)
    churn = runner.train_model(store, replace(PARAMS, as_of=as_of))
    ltv = runner.train_model(store, replace(LTV, as_of=as_of))

    churn_features = json.loads(churn.features)
    ltv_features = json.loads(ltv.features)
    assert churn_features["names"] == list(CHURN_FEATURES)
    assert ltv_features["names"] == list(LTV_FEATURES)
    # The reference is the population at the end of the data window, preferences known.
    assert churn_features["reference_at"] == as_of.isoformat()
    assert churn_features["reference"]["mobile_share"]["shares"][-1] < 1.0
    assert ltv_features["reference"]["top_category_share"]["shares"][-1] < 1.0
    explanation = runner.explain_customer(store, "u0001", "ltv")
    assert explanation is not None

    _future(store, as_of)
    again = [runner.train_model(store, replace(params, as_of=as_of))
             for params in (PARAMS, LTV)]
    assert [v.artifact for v in again] == [churn.artifact, ltv.artifact]
    assert [v.features for v in again] == [churn.features, ltv.features]
    assert [v.metrics for v in again] == [churn.metrics, ltv.metrics]


def test_scoring_right_after_training_shows_no_drift(store):
    _with_preferences(store)
    version = runner.train_model(store, PARAMS)
    run = runner.start_scoring(store, version.id or 0, shards=1)

    result = runner.score_shard(store, run.id or 0, 0)

    drift = runner.latest_drift(store, version.id or 0)
    assert result.drift_warning is None
    assert set(drift) == set(CHURN_FEATURES)
    assert max(drift.values()) == pytest.approx(0.0, abs=1e-12)


def test_only_models_with_device_features_count_devices_in_the_event_log(store, monkeypatch):
    """Counting devices scans the event log, the largest table: lifetime value (whose
    features have no device) neither trains nor scores with it; churn does both."""
    read, calls = repo.read_agent_counts, []

    def counted(**kwargs):
        calls.append(len(kwargs["cutoffs"]))
        return read(**kwargs)

    monkeypatch.setattr(repo, "read_agent_counts", counted)
    ltv = runner.train_model(store, LTV)
    _score(store, ltv.id or 0, 2)
    assert calls == []
    churn = runner.train_model(store, PARAMS)
    _score(store, churn.id or 0, 2)
    assert calls == [3, 1, 1]
