"""Transitions: golden counts and prediction; probabilities are shares of what followed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.journeys.stages import TIMELINE_SCHEMA
from analytics.journeys.transitions import NextAction, predict_next, transitions

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def timeline(actions: list[str]) -> pl.DataFrame:
    return pl.DataFrame([(T0 + timedelta(hours=i), "behavior", a, None)
                         for i, a in enumerate(actions)], schema=TIMELINE_SCHEMA, orient="row")


BROWSER = timeline(["product_view", "cart_add", "product_view", "cart_add", "product_view",
                    "checkout", "product_view"])


def test_golden_transitions_and_prediction() -> None:
    assert_frame_equal(transitions(BROWSER), pl.DataFrame({
        "from": ["cart_add", "checkout", "product_view", "product_view"],
        "to": ["product_view", "product_view", "cart_add", "checkout"],
        "count": [2, 1, 2, 1], "last": [3, 5, 2, 4]}))
    assert predict_next(BROWSER) == NextAction(after="product_view", action="cart_add",
                                               probability=2 / 3, observed=3)


def test_nothing_observed_predicts_nothing() -> None:
    assert predict_next(timeline([])) == NextAction(None, None, None, 0)
    assert predict_next(timeline(["email_open", "order"])) == NextAction("order", None,
                                                                         None, 0)
    # A tie goes to the action seen most recently after the latest one.
    tie = predict_next(timeline(["a", "b", "a", "c", "a"]))
    assert (tie.action, tie.probability, tie.observed) == ("c", 0.5, 2)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["open", "click", "view", "cart", "order"]), max_size=40))
def test_counts_cover_every_pair(actions: list[str]) -> None:
    counts = transitions(timeline(actions))
    assert counts["count"].sum() == max(len(actions) - 1, 0)
    result = predict_next(timeline(actions))
    if result.action is not None:
        assert result.probability is not None and 0 < result.probability <= 1
        best = counts.filter(pl.col("from") == result.after)["count"].max()
        assert result.probability == best / result.observed
