from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions import ChurnMinimums, InsufficientData, check_churn_data


def test_enough_data_passes():
    check_churn_data(customers=200, churned=20, history_days=30, horizon_days=60)


def test_every_shortfall_is_named_with_the_fix():
    with pytest.raises(InsufficientData) as refused:
        check_churn_data(customers=150, churned=145, history_days=12.4, horizon_days=60)
    assert str(refused.value) == (
        "churn model not trained: 150 customers at the training cutoff, need 200; 5 "
        "customers who stayed active in the training window, need 20; 12 days of history "
        "before the training cutoff, need 30. Training uses the 120 days before --as-of "
        "(two windows of --horizon-days 60); import more history, pick a later --as-of or "
        "a shorter --horizon-days.")


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 500), st.integers(0, 500), st.floats(0, 100))
def test_refuses_exactly_below_a_minimum(customers, churned, history):
    churned = min(churned, customers)
    need = ChurnMinimums()
    short = (customers < need.customers or churned < need.churned
             or customers - churned < need.retained or history < need.history_days)
    try:
        check_churn_data(customers=customers, churned=churned, history_days=history,
                         horizon_days=30)
    except InsufficientData:
        assert short
    else:
        assert not short


def test_lifetime_shortfalls_are_named():
    from analytics.predictions import check_lifetime_data

    check_lifetime_data(buyers=100, repeat_buyers=30, history_days=30, horizon_days=90)
    with pytest.raises(InsufficientData) as refused:
        check_lifetime_data(buyers=40, repeat_buyers=3, history_days=45, horizon_days=90)
    assert str(refused.value) == (
        "lifetime value model not trained: 40 customers with orders, need 100; 3 repeat "
        "buyers, need 30. Training uses the 180 days before --as-of; import more order "
        "history, pick a later --as-of or a shorter --horizon-days.")
    with pytest.raises(InsufficientData, match=r"shorter --horizon-days\. With the orders "
                                               "imported, --horizon-days can be at most 121.$"):
        check_lifetime_data(buyers=0, repeat_buyers=0, history_days=0, horizon_days=273,
                            order_days=273)
    # No hint when no horizon fits, or the asked one is not the problem.
    for order_days in (31, 900):
        with pytest.raises(InsufficientData, match=r"shorter --horizon-days\.$"):
            check_lifetime_data(buyers=0, repeat_buyers=0, history_days=0,
                                horizon_days=90, order_days=order_days)
