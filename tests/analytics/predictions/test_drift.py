from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions.drift import drifted, population_stability, reference_bins

THEN = pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, None], "y": [5.0] * 5})


def test_golden_bins_and_index():
    reference = reference_bins(THEN, ["x"])
    assert reference["x"]["edges"] == pytest.approx([1.3, 1.6, 1.9, 2.2, 2.5, 2.8, 3.1, 3.4,
                                                     3.7])
    # Shares per bin: x=1 | 2 | 3 | 4 and the null bin, 1/5 each.
    assert sum(reference["x"]["shares"]) == pytest.approx(1.0)
    assert reference["x"]["shares"][-1] == pytest.approx(0.2)

    now = pl.DataFrame({"x": [1.0, 1.0, 1.0, 1.0, 1.0]})
    psi = population_stability(reference, now)["x"]
    # Bin of 1: 0.2 -> 1.0; three bins and nulls: 0.2 -> floor 1e-4.
    expected = (1.0 - 0.2) * math.log(1.0 / 0.2) + 4 * (1e-4 - 0.2) * math.log(1e-4 / 0.2)
    assert psi == pytest.approx(expected)
    assert drifted({"x": psi, "y": 0.01, "z": 0.3}) == ["x", "z"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=1, max_size=60))
def test_same_population_is_stable_and_index_is_never_negative(values):
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Float64})
    reference = reference_bins(frame, ["v"])
    assert population_stability(reference, frame)["v"] == pytest.approx(0.0, abs=1e-9)
    shifted = frame.with_columns(pl.col("v") + 1e7)
    assert population_stability(reference, shifted)["v"] >= 0
    assert np.isclose(sum(reference["v"]["shares"]), 1.0)


# A list's ages a month before, with every other feature steady.
AGES = pl.DataFrame({"days_since_send": [float(d % 60) for d in range(300)],
                     "tenure_days": [float(100 + d) for d in range(300)],
                     "frequency": [float(d % 7) for d in range(300)]})


def test_an_ageing_cohort_drifts_only_without_the_age_shift():
    reference = reference_bins(AGES, AGES.columns)
    # The same customers 30 days on with nothing new: every age 30 days more.
    older = AGES.with_columns(pl.col("days_since_send", "tenure_days") + 30)
    as_is = population_stability(reference, older)
    assert drifted(as_is) == ["days_since_send", "tenure_days"]
    aware = population_stability(reference, older, elapsed_days=30)
    assert aware == {"days_since_send": 0.0, "tenure_days": 0.0, "frequency": 0.0}
    # Right after training (no time between) the population is its own reference.
    assert drifted(population_stability(reference, AGES)) == []


def test_a_steady_list_stays_stable_when_aware_of_age():
    # New activity keeps the ages where they were: the reading as it is counts.
    reference = reference_bins(AGES, AGES.columns)
    assert population_stability(reference, AGES, elapsed_days=30) == {
        "days_since_send": 0.0, "tenure_days": 0.0, "frequency": 0.0}


def test_a_real_shift_still_warns_when_aware_of_age():
    reference = reference_bins(AGES, AGES.columns)
    # Nobody mailed for 200 more days than the 30 that passed, and twice the orders.
    shifted = AGES.with_columns(pl.col("days_since_send") + 230, pl.col("frequency") * 2 + 1)
    psi = population_stability(reference, shifted, elapsed_days=30)
    assert drifted(psi) == ["days_since_send", "frequency"]
    assert psi["tenure_days"] == 0.0


@pytest.mark.parametrize("elapsed", [-1.0, float("nan"), float("inf")])
def test_elapsed_days_must_be_a_finite_non_negative_number(elapsed):
    with pytest.raises(ValueError, match="elapsed_days must be a finite number >= 0"):
        population_stability(reference_bins(AGES, ["tenure_days"]), AGES,
                             elapsed_days=elapsed)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10_000).map(float), min_size=1, max_size=60),
       st.integers(0, 1_000).map(float))
def test_age_aware_index_is_never_above_the_plain_one(values, elapsed):
    # Whole days: adding and taking off the elapsed time gives back the same value.
    frame = pl.DataFrame({"recency_days": values}, schema={"recency_days": pl.Float64})
    reference = reference_bins(frame, ["recency_days"])
    later = frame.with_columns(pl.col("recency_days") + elapsed)
    aware = population_stability(reference, later, elapsed_days=elapsed)["recency_days"]
    assert 0 <= aware <= population_stability(reference, later)["recency_days"] + 1e-12
    # Exactly as old as the reference: the shifted reading is the reference itself.
    assert aware == pytest.approx(0.0, abs=1e-9)
