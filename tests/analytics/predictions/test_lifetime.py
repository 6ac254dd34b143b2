from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.predictions import MESSAGES_SCHEMA, ORDERS_SCHEMA, customer_features
from analytics.predictions.bgnbd import fit_bgnbd
from analytics.predictions.lifetime import (
    bgnbd_forecast,
    order_histories,
    regression_metrics,
    revenue_after,
    train_lifetime,
)
from tests.analytics.predictions.synthetic import DAYS, START, synthetic_store

CUT = datetime(2026, 4, 1, tzinfo=UTC)
ORDERS = pl.DataFrame({"customer_id": ["a", "a", "a", "b", "b"],
                       "occurred_at": [CUT - timedelta(days=30), CUT - timedelta(days=10),
                                       CUT - timedelta(days=5), CUT - timedelta(days=2),
                                       CUT + timedelta(days=3)],
                       "amount": [10.0, 20.0, 30.0, 8.0, 50.0]}, schema=ORDERS_SCHEMA)


def test_regression_metrics_golden():
    metrics = regression_metrics(np.array([0.0, 10.0, 20.0]), np.array([5.0, 10.0, 15.0]))
    assert (metrics.mae, round(metrics.rmse, 6), metrics.bias, metrics.count) == (
        10 / 3, round(np.sqrt(50 / 3), 6), 0.0, 3)
    assert round(metrics.msle, 6) == round(((np.log(6) - 0) ** 2 + 0
                                            + (np.log(16) - np.log(21)) ** 2) / 3, 6)
    assert metrics.correlation == pytest.approx(1.0)
    with pytest.raises(ValueError, match="clip predictions at 0"):
        regression_metrics(np.array([1.0]), np.array([-1.0]))


def test_order_histories_golden():
    histories = order_histories(ORDERS, pl.Series(["a", "b", "c"]), cutoff=CUT)
    assert_frame_equal(histories, pl.DataFrame({
        "customer_id": ["a", "b", "c"], "x": [2.0, 0.0, 0.0], "t_x": [25.0, 0.0, 0.0],
        "T": [30.0, 2.0, 0.0], "monetary": [20.0, 8.0, None]}))
    assert revenue_after(ORDERS, pl.Series(["a", "b"]), cutoff=CUT,
                         end=CUT + timedelta(days=7)).tolist() == [0.0, 50.0]


def _windows(with_email: bool):
    customers, orders, messages = synthetic_store(customers=400, seed=3)
    if not with_email:
        messages = pl.DataFrame(schema=MESSAGES_SCHEMA)
    end = START + timedelta(days=DAYS)
    h = timedelta(days=30)
    train = customer_features(customers, orders, messages, cutoff=end - 2 * h)
    holdout = customer_features(customers, orders, messages, cutoff=end - h)
    return orders, train, holdout, end - 2 * h, end - h


@pytest.mark.parametrize("with_email", [True, False], ids=["email", "orders-only"])
def test_both_models_are_judged_and_a_purchase_only_store_works(with_email):
    orders, train, holdout, train_cut, holdout_cut = _windows(with_email)

    trained = train_lifetime(orders, train, holdout, train_cutoff=train_cut,
                             holdout_cutoff=holdout_cut, horizon_days=30)
    again = train_lifetime(orders, train, holdout, train_cutoff=train_cut,
                           holdout_cutoff=holdout_cut, horizon_days=30)

    assert trained.artifact == again.artifact
    assert trained.bgnbd.converged and trained.spend.converged
    assert round(trained.baseline_metrics.rmse, 2) == 50.31  # BG/NBD reads orders only
    assert trained.served == "baseline"
    assert trained.reason.startswith("BG/NBD + Gamma-Gamma is served: LightGBM's holdout "
                                     "RMSE ")
    # Sensible: total forecast revenue within 20 % of what happened, and correlated.
    assert abs(trained.baseline_metrics.bias) < 0.2
    assert trained.baseline_metrics.correlation > 0.5


def test_the_served_fit_uses_every_order_up_to_the_end_of_the_holdout_window():
    orders, train, holdout, train_cut, holdout_cut = _windows(False)
    end = holdout_cut + (holdout_cut - train_cut)

    trained = train_lifetime(orders, train, holdout, train_cutoff=train_cut,
                             holdout_cutoff=holdout_cut, horizon_days=30)

    everyone = orders.filter(pl.col("occurred_at") < end)["customer_id"].unique().sort()
    served = order_histories(orders, everyone, cutoff=end)
    judged = order_histories(orders, holdout["customer_id"], cutoff=holdout_cut).filter(
        pl.col("monetary").is_not_null())
    assert trained.bgnbd == fit_bgnbd(served["x"], served["t_x"], served["T"])
    assert trained.holdout_bgnbd == fit_bgnbd(judged["x"], judged["t_x"], judged["T"])
    assert trained.bgnbd != trained.holdout_bgnbd
    assert trained.spend.converged and trained.holdout_spend.converged


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e4), st.floats(0, 1e4)), min_size=1, max_size=50))
def test_metric_invariants(pairs):
    actual = np.array([a for a, _ in pairs])
    predicted = np.array([p for _, p in pairs])
    metrics = regression_metrics(actual, predicted)
    assert metrics.rmse >= metrics.mae - 1e-9 >= -1e-9
    assert -1 - 1e-9 <= metrics.correlation <= 1 + 1e-9
    if actual.sum() > 1e-9:
        assert metrics.bias == pytest.approx(predicted.sum() / actual.sum() - 1)
    else:
        assert metrics.bias == 0.0


def test_forecast_is_zero_for_customers_without_orders():
    orders, train, holdout, train_cut, holdout_cut = _windows(False)
    trained = train_lifetime(orders, train, holdout, train_cutoff=train_cut,
                             holdout_cutoff=holdout_cut, horizon_days=30)
    histories = order_histories(orders, pl.Series(["u0000", "nobody"]), cutoff=holdout_cut)
    forecast = bgnbd_forecast(trained.bgnbd, trained.spend, histories, 30)
    assert forecast.expected_orders[1] == forecast.p_alive[1] == forecast.predicted_value[1] == 0
    assert 0 <= forecast.p_alive[0] <= 1 and forecast.expected_orders[0] >= 0
