from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.experiments import Interval, MeanSummary, ProportionSummary, RatioSummary


def test_derived_values():
    assert ProportionSummary("A", 200, 15).rate == 0.075
    revenue = MeanSummary("A", 4, 10.0, 40.0)
    assert (revenue.mean, revenue.variance) == (2.5, 5.0)
    assert RatioSummary("A", 3, 2.0, 8.0, 2.0, 24.0, 6.0).ratio == 0.25


def test_constant_data_has_zero_not_negative_variance():
    assert MeanSummary("A", 3, 0.3, 0.03).variance >= 0.0


def test_interval():
    assert Interval(1.0, 2.0).contains(1.5) and not Interval(1.0, 2.0).contains(2.5)
    assert Interval(1.0, 2.0).bounded and not Interval(-math.inf, 2.0).bounded


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=2, max_size=50))
def test_properties(values):
    x = np.array(values)
    summary = MeanSummary("A", x.size, float(x.sum()), float((x**2).sum()))
    assert summary.mean == pytest.approx(x.mean(), abs=1e-6)
    assert summary.variance == pytest.approx(x.var(ddof=1), rel=1e-6, abs=1e-3)
