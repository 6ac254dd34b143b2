from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions import ServedModel, checksum, train_churn
from tests.analytics.predictions.test_churn import windows


def _lightgbm() -> tuple[ServedModel, pl.DataFrame]:
    train, holdout = windows()
    relabel = pl.col("frequency") < 3
    trained = train_churn(train.with_columns(churned=relabel),
                          holdout.with_columns(churned=relabel))
    return ServedModel(trained.artifact), holdout


def test_checksum_golden():
    assert checksum(b"model") == (
        "9372c470eeadd5ecd9c3c74c2b3cb633f8e2f2fad799250a0f70d652b6b825e4")
    assert len(checksum(b"")) == 64


def test_shap_contributions_add_up_to_the_log_odds():
    model, holdout = _lightgbm()
    row = holdout.slice(7, 1)

    explanation = model.explain(row, top=len(model.features))
    p = float(model.predict(row)[0])

    assert explanation.served == "lightgbm"
    total = explanation.base_value + sum(c.contribution for c in explanation.contributions)
    assert total == pytest.approx(math.log(p / (1 - p)), abs=1e-6)
    assert explanation.prediction == pytest.approx(p)
    sizes = [abs(c.contribution) for c in explanation.contributions]
    assert sizes == sorted(sizes, reverse=True)
    assert len(model.explain(row).contributions) == 10


def test_baseline_explanation_and_errors():
    train, holdout = windows()
    # The artifact as stored when the baseline wins (on these windows LightGBM does).
    body = json.loads(train_churn(train, holdout).artifact)
    served = ServedModel(json.dumps({**body, "served": "baseline"}).encode())
    row = holdout.slice(0, 1)

    explanation = served.explain(row)

    [only] = explanation.contributions
    assert (explanation.served, only.feature) == ("baseline", "days_since_activity")
    p = explanation.prediction
    assert explanation.base_value + only.contribution == pytest.approx(math.log(p / (1 - p)))
    with pytest.raises(ValueError, match="explain takes one customer's features, got 2 rows"):
        served.explain(holdout.slice(0, 2))
    with pytest.raises(ValueError, match="features tenure_days are missing"):
        ServedModel(train_churn(train, holdout).artifact)._matrix(holdout.drop("tenure_days"))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 399))
def test_predictions_are_probabilities_and_row_order_free(index):
    model, holdout = _lightgbm()
    p = model.predict(holdout)
    assert ((p >= 0) & (p <= 1)).all()
    assert model.predict(holdout.slice(index, 1))[0] == pytest.approx(p[index])
    assert np.allclose(model.predict(holdout.reverse()), p[::-1])


def test_lifetime_artifact_forecasts_and_explains():
    from datetime import timedelta

    from analytics.predictions import LifetimeModel, load_model, order_histories
    from analytics.predictions.lifetime import train_lifetime
    from tests.analytics.predictions.synthetic import DAYS, START, synthetic_store

    customers, orders, messages = synthetic_store(customers=400, seed=3)
    end = START + timedelta(days=DAYS)
    h = timedelta(days=30)
    train, holdout = windows()
    trained = train_lifetime(orders, train, holdout, train_cutoff=end - 2 * h,
                             holdout_cutoff=end - h, horizon_days=30)
    model = load_model(trained.artifact)
    histories = order_histories(orders, holdout["customer_id"], cutoff=end - h)

    forecast = model.forecast(holdout, histories)
    explanation = model.explain(holdout.slice(3, 1), top=len(model.features))

    assert isinstance(model, LifetimeModel) and model.served == trained.served
    assert forecast.predicted_value.shape == (400,)
    assert ((forecast.p_alive >= 0) & (forecast.p_alive <= 1)).all()
    total = explanation.base_value + sum(c.contribution for c in explanation.contributions)
    assert total == pytest.approx(explanation.prediction)
