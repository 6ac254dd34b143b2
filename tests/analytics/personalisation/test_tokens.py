"""Tokens: the documented namespaces, CLV tiers and how often a field is empty."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.personalisation.tokens import Record, all_tokens, clv_tiers, empty_shares


def test_tokens_are_namespaced_and_rule_keys_join_them():
    tokens = all_tokens(["offer"])
    assert "customer.first_name" in tokens and "profile.favorite_category" in tokens
    assert "scores.clv_tier" in tokens and "rules.offer" in tokens
    assert tokens == sorted(tokens)
    assert repr(Record("profile", {"x": 1}, ["x"])) == "<profile>"


def test_clv_tiers_use_the_value_tier_shares():
    scores = pl.DataFrame({"customer_id": [f"c{i}" for i in range(10)] + ["none"],
                           "predicted_clv": [float(i) for i in range(10)] + [None]})
    assert_frame_equal(clv_tiers(scores), pl.DataFrame({
        "customer_id": [f"c{i}" for i in range(10)],
        "clv_tier": ["low"] * 6 + ["medium"] * 3 + ["high"]}))
    assert clv_tiers(scores.head(0)).columns == ["customer_id", "clv_tier"]


def test_blank_and_missing_values_count_as_empty():
    frame = pl.DataFrame({"first_name": ["Ann", " ", None, "Bo"], "hour": [1, None, 3, 4]})
    assert empty_shares(frame, {"customer.first_name": "first_name", "profile.hour": "hour",
                                "profile.other": "missing"}) == {
        "customer.first_name": 0.5, "profile.hour": 0.25}
    assert empty_shares(frame.head(0), {"a": "first_name"}) == {}


@given(st.lists(st.one_of(st.none(), st.floats(0, 1e6)), min_size=1, max_size=40))
def test_every_scored_customer_gets_one_tier_and_higher_values_never_lower_tiers(values):
    scores = pl.DataFrame({"customer_id": [str(i) for i in range(len(values))],
                           "predicted_clv": values}, schema={"customer_id": pl.String,
                                                             "predicted_clv": pl.Float64})
    tiers = clv_tiers(scores).join(scores, on="customer_id")
    assert tiers.height == sum(value is not None for value in values)
    rank = {"low": 0, "medium": 1, "high": 2}
    ordered = tiers.sort("predicted_clv")["clv_tier"].to_list()
    assert [rank[t] for t in ordered] == sorted(rank[t] for t in ordered)
