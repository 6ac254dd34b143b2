"""RFM scores and the named map of all 125 scores."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.customers.rfm import RFM_MAP, RFM_NAMES, rfm_grid, rfm_name, rfm_scores


def test_the_map_names_all_125_scores_once_with_the_eleven_names():
    assert len(RFM_MAP) == 125
    assert set(RFM_MAP) == {(r, f, m) for r in range(1, 6) for f in range(1, 6)
                            for m in range(1, 6)}
    assert set(RFM_MAP.values()) == set(RFM_NAMES) and len(RFM_NAMES) == 11
    assert Counter(RFM_MAP.values()) == {
        "At Risk": 32, "Potential Loyalists": 28, "Loyal": 20, "Champions": 10,
        "Need Attention": 9, "Lost": 6, "Cannot Lose Them": 6, "Hibernating": 6,
        "About to Sleep": 6, "Promising": 1, "New": 1}


@pytest.mark.parametrize(("scores", "name"), [
    ((5, 5, 5), "Champions"), ((5, 1, 1), "New"), ((4, 1, 1), "Promising"),
    ((3, 3, 3), "Need Attention"), ((1, 5, 5), "Cannot Lose Them"), ((1, 1, 1), "Lost"),
    ((2, 1, 2), "Hibernating"), ((2, 4, 3), "At Risk"), ((4, 5, 4), "Loyal"),
    ((5, 2, 3), "Potential Loyalists"), ((3, 1, 3), "About to Sleep"),
])
def test_golden_names(scores, name):
    assert rfm_name(*scores) == name


def test_scores_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"RFM scores run from 1 to 5; got \(0, 1, 1\)"):
        rfm_name(0, 1, 1)


PROFILES = pl.DataFrame({
    "customer_id": [f"c{i}" for i in range(11)],
    "days_since_last_purchase": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, None],
    "purchases": [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    "lifetime_revenue": [100.0, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0],
})


def test_golden_quintiles_and_grid():
    scores = rfm_scores(PROFILES)
    assert scores["customer_id"].to_list() == [f"c{i}" for i in range(10)]  # buyers only
    assert scores["recency_score"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scores["monetary_score"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scores["rfm_segment"].to_list() == [
        "Champions", "Champions", "Loyal", "Loyal", "Need Attention", "Need Attention",
        "Hibernating", "Hibernating", "Lost", "Lost"]
    grid = rfm_grid(scores)
    assert grid.height == 25 and grid["customers"].sum() == 10
    assert grid.filter((pl.col("recency_score") == 5) & (pl.col("fm_score") == 5)).row(
        0, named=True) == {"recency_score": 5, "fm_score": 5, "customers": 2,
                           "name": "Champions"}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 500), st.integers(1, 30), st.floats(0, 1e4)),
                min_size=1, max_size=60))
def test_scores_are_quintiles_that_follow_the_values(rows):
    profiles = pl.DataFrame({"customer_id": [f"c{i:03d}" for i in range(len(rows))],
                             "days_since_last_purchase": [r[0] for r in rows],
                             "purchases": [r[1] for r in rows],
                             "lifetime_revenue": [r[2] for r in rows]})
    scores = rfm_scores(profiles).join(profiles, on="customer_id")
    for column in ("recency_score", "frequency_score", "monetary_score"):
        assert scores[column].is_between(1, 5).all()
    ordered = scores.sort("lifetime_revenue")["monetary_score"]
    assert ordered.is_sorted()  # more revenue never scores lower
    ordered = scores.sort("days_since_last_purchase", descending=True)["recency_score"]
    assert ordered.is_sorted()  # more recent never scores lower
    for row in scores.rows(named=True):
        assert row["rfm_segment"] == RFM_MAP[(row["recency_score"], row["frequency_score"],
                                              row["monetary_score"])]
