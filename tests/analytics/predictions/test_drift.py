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
