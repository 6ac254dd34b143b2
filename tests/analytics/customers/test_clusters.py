"""Behavioural clusters: golden silhouette, separated groups found and named, invariants."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.customers.clusters import (
    FEATURES,
    cluster_customers,
    kmeans,
    name_clusters,
    silhouette,
)


def test_golden_silhouette():
    points = np.array([[0.0], [1.0], [10.0], [11.0]])
    # (10.5 - 1) / 10.5 and (9.5 - 1) / 9.5, twice each
    assert round(silhouette(points, np.array([0, 0, 1, 1])), 6) == 0.899749
    assert silhouette(points, np.array([0, 0, 0, 0])) is None


def _profiles(groups: list[tuple[int, dict[str, float]]]) -> pl.DataFrame:
    rows = []
    for size, values in groups:
        for _ in range(size):
            rows.append({"customer_id": f"c{len(rows):03d}", **values})
    return pl.DataFrame(rows, schema={"customer_id": pl.String, "engagement_score": pl.Float64,
                                      "open_rate_90d": pl.Float64,
                                      "click_rate_90d": pl.Float64, "purchases": pl.Int64,
                                      "lifetime_revenue": pl.Float64,
                                      "days_since_last_purchase": pl.Float64,
                                      "sessions": pl.Int64})


BUYERS = {"engagement_score": 9.0, "open_rate_90d": 0.8, "click_rate_90d": 0.3,
          "purchases": 6, "lifetime_revenue": 600.0, "days_since_last_purchase": 5.0,
          "sessions": 10}
SLEEPERS = {"engagement_score": 0.1, "open_rate_90d": 0.0, "click_rate_90d": 0.0,
            "purchases": 0, "lifetime_revenue": 0.0, "days_since_last_purchase": None,
            "sessions": 0}


def test_two_clear_groups_are_found_chosen_by_silhouette_and_named():
    result = cluster_customers(_profiles([(30, BUYERS), (70, SLEEPERS)]))
    assert (result.k, result.chosen_by) == (2, "silhouette")
    assert result.silhouette == pytest.approx(1.0)
    named = {row["name"]: row["size"] for row in result.centres.rows(named=True)}
    assert named == {"Engaged buyers": 30, "Lapsing": 70}
    centre = result.centres.filter(pl.col("name") == "Engaged buyers").row(0, named=True)
    assert (centre["purchases"], centre["lifetime_revenue"]) == (6.0, 600.0)
    # never ordered: one day beyond the longest gap seen (5 days)
    sleepers = result.centres.filter(pl.col("name") == "Lapsing").row(0, named=True)
    assert sleepers["days_since_last_purchase"] == 6.0


def test_a_given_k_is_used_and_duplicate_names_are_numbered():
    result = cluster_customers(_profiles([(30, BUYERS), (70, SLEEPERS)]), k=3)
    assert (result.k, result.chosen_by) == (3, "given")
    assert sorted(result.centres["name"].to_list())[0] in {"Engaged buyers", "Lapsing"}
    z = np.zeros((3, len(FEATURES)))
    assert name_clusters(z, [5, 9, 1]) == ["Low activity 2", "Low activity", "Low activity 3"]
    with pytest.raises(ValueError, match="k must be between 1 and the number of customers "
                                         r"\(100\); got 0"):
        cluster_customers(_profiles([(30, BUYERS), (70, SLEEPERS)]), k=0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-10, 10), st.floats(-10, 10)), min_size=3, max_size=40),
       st.integers(1, 3), st.integers(0, 5))
def test_kmeans_invariants(rows, k, seed):
    points = np.array(rows, dtype=np.float64)
    labels, centres, inertia = kmeans(points, k, seed)
    assert labels.shape == (len(points),) and set(labels.tolist()) <= set(range(k))
    assert inertia >= 0
    # every point sits with its nearest centre
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    assert np.allclose(distances[np.arange(len(points)), labels], distances.min(axis=1))
    again = kmeans(points, k, seed)
    assert np.array_equal(again[0], labels)  # seeded: the same result every time
    score = silhouette(points, labels, seed)
    assert score is None or -1.0 <= score <= 1.0
