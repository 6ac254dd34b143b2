"""The optimisation report's pieces: UTC hours, the best-hour lift, recommendations."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions.optimisation import (
    best_hour_lift,
    choice_recommendation,
    comparison_confidence,
    send_time_recommendation,
    utc_hours,
)

WINTER, SUMMER = datetime(2026, 1, 8, tzinfo=UTC), datetime(2026, 7, 8, tzinfo=UTC)


def test_utc_hours_follow_the_zone_on_the_date():
    zones = ["America/New_York", "Europe/Berlin", None, "Asia/Kolkata"]

    assert utc_hours([8, 21, 9, 9], zones, WINTER).tolist() == [13, 20, 9, 4]
    assert utc_hours([8, 21, 9, 9], zones, SUMMER).tolist() == [12, 19, 9, 4]


def test_best_hour_lift_golden():
    local = pl.DataFrame({"customer_id": ["a", "a", "a", "a", "b", "b"],
                          "hour": [8, 9, 15, 20, 23, 12],
                          "engaged": [True, True, False, True, True, False]})
    best = pl.DataFrame({"customer_id": ["a", "b"], "best_send_hour": [8, 0]})

    # Near: a@8, a@9, b@23 (all engaged); far: a@15, a@20, b@12 (one of three).
    assert best_hour_lift(local, best) == pytest.approx(1 - 1 / 3)
    assert best_hour_lift(local.head(2), best) == 0.0


def test_send_time_recommendation_golden():
    best = np.array([13, 13, 14, 20, 2])
    weights = np.array([0.2, 0.4, 0.6, 0.0, 0.3])

    result = send_time_recommendation(best, weights, current_hour=20, lift=0.05)

    # 13:00 and 14:00 reach 3 of 5 within an hour; 20:00 reaches 1.
    assert (result.recommended, result.current) == ("13:00 UTC", "20:00 UTC")
    assert result.expected_improvement == pytest.approx(0.05 * (3 / 5 - 1 / 5))
    assert result.confidence == pytest.approx(0.3)
    with pytest.raises(ValueError, match="compute send times first"):
        send_time_recommendation(np.array([], dtype=np.int64), np.array([]), None, 0.1)


def test_choice_recommendation_golden():
    result = choice_recommendation("subject", [("A", 0.22), ("B", 0.25)], ("A", 0.22), 1000)

    assert (result.recommended, result.current) == ("B", "A")
    assert result.expected_improvement == pytest.approx(0.03)
    assert round(result.confidence, 4) == round(comparison_confidence(0.25, 0.22, 1000), 4)
    assert round(comparison_confidence(0.25, 0.22, 1000), 4) == 0.9433  # z = 0.03 / 0.018950


@settings(max_examples=50, deadline=None)
@given(st.floats(0.01, 0.99), st.floats(0.01, 0.99), st.integers(1, 100_000))
def test_confidence_is_a_probability_above_a_half_for_the_better(a, b, n):
    better, worse = max(a, b), min(a, b)

    confidence = comparison_confidence(better, worse, n)

    assert 0.5 <= confidence <= 1.0
    assert comparison_confidence(better, worse, n * 4) >= confidence - 1e-12
