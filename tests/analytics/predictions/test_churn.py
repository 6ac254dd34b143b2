from __future__ import annotations

from datetime import timedelta
from functools import cache

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions import (
    ServedModel,
    churn_labels,
    customer_features,
    risk_levels,
    train_churn,
)
from analytics.predictions.churn import CHURN_FEATURES, BaselineRates, choose
from analytics.predictions.evaluation import classification_metrics
from tests.analytics.predictions.synthetic import DAYS, START, synthetic_store

HORIZON = 30


@cache
def windows() -> tuple[pl.DataFrame, pl.DataFrame]:
    customers, orders, messages = synthetic_store(customers=400, seed=3)
    end = START + timedelta(days=DAYS)

    def labelled(cutoff):
        frame = customer_features(customers, orders, messages, cutoff=cutoff)
        return frame.join(churn_labels(orders, messages, frame["customer_id"], cutoff=cutoff,
                                       horizon_days=HORIZON), on="customer_id")

    return (labelled(end - timedelta(days=2 * HORIZON)),
            labelled(end - timedelta(days=HORIZON)))


def test_risk_levels_golden():
    assert risk_levels(np.array([0, 0.19999, 0.2, 0.49, 0.5, 0.79, 0.8, 1.0])) == [
        "low", "low", "medium", "medium", "high", "high", "critical", "critical"]


def test_baseline_rates_golden():
    values = np.arange(1.0, 11.0)
    outcomes = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 1.0])
    baseline = BaselineRates.fit(values, outcomes)

    assert len(baseline.edges) == 9
    # One customer per bin, shrunk by two pseudo-customers at the overall rate 0.5.
    assert baseline.rates[:5] == pytest.approx((1 / 3, 1 / 3, 1 / 3, 1 / 3, 2 / 3))
    assert baseline.predict(np.array([0.0, 5.5, 100.0])).tolist() == pytest.approx(
        [1 / 3, 2 / 3, 2 / 3])


def test_training_is_deterministic_and_reports_both_models():
    train, holdout = windows()
    first = train_churn(train, holdout)
    second = train_churn(train, holdout)

    assert first.artifact == second.artifact
    assert (first.train_rows, first.holdout_rows) == (400, 400)
    assert round(first.model_metrics.auc, 3) == 0.946
    assert round(first.baseline_metrics.auc, 3) == 0.944
    assert first.served == "lightgbm"
    assert first.reason == ("LightGBM beats the baseline on the holdout: log loss 0.2749 < "
                            "0.2819, AUC 0.946 vs 0.944")
    assert sum(share for _, share in first.importance) == pytest.approx(1.0)
    # The synthetic store's customers stop at random: the silence in units of their own
    # gap between opens says it best.
    assert first.importance[0][0] == "gaps_since_open"
    assert {name for name, _ in first.importance} == set(CHURN_FEATURES)


def test_lightgbm_is_served_when_it_wins_and_predictions_match_the_metrics():
    train, holdout = windows()
    # A label the baseline's single feature cannot see: churn decided by order count.
    def relabel(frame):
        return frame.with_columns(churned=pl.col("frequency") < 3)

    trained = train_churn(relabel(train), relabel(holdout))
    served = ServedModel(trained.artifact)
    p = served.predict(holdout)

    assert trained.served == "lightgbm"
    assert trained.reason.startswith("LightGBM beats the baseline on the holdout: log loss ")
    assert classification_metrics(relabel(holdout)["churned"].cast(float).to_numpy(),
                                  p) == trained.model_metrics


def test_missing_columns_are_named():
    train, holdout = windows()
    with pytest.raises(ValueError, match="holdout frame lacks columns churned"):
        train_churn(train, holdout.drop("churned"))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1000), min_size=2, max_size=80), st.integers(0, 2**32 - 1))
def test_baseline_probabilities_stay_inside_zero_and_one(values, seed):
    rng = np.random.default_rng(seed)
    x = np.asarray(values)
    y = (rng.random(x.size) < 0.4).astype(float)
    baseline = BaselineRates.fit(x, y)
    p = baseline.predict(np.r_[x, -1.0, 1e9])
    if 0 < y.mean() < 1:  # both outcomes seen: the pseudo-customers keep every bin open
        assert ((p > 0) & (p < 1)).all()
    assert ((p >= 0) & (p <= 1)).all()
    assert list(baseline.edges) == sorted(baseline.edges)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 2), st.floats(0.01, 2))
def test_choose_serves_lightgbm_exactly_when_its_log_loss_is_lower(a, b):
    y = [1, 0]
    model = classification_metrics(y, [0.5, 0.5])
    model = type(model)(**{**vars(model), "log_loss": a})
    baseline = type(model)(**{**vars(model), "log_loss": b})
    assert (choose(model, baseline)[0] == "lightgbm") == (a < b)
