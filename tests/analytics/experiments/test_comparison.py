from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.experiments.comparison import (
    build_comparison,
    critical_value,
    difference_interval,
    relative_lift,
    two_sided_p,
)


def test_critical_values_and_p_values():
    assert round(critical_value(0.05), 6) == 1.959964
    assert round(critical_value(0.05, 10), 6) == 2.228139
    assert critical_value(0.05, 1e9) == pytest.approx(critical_value(0.05), abs=1e-6)
    assert two_sided_p(1.959963984540054) == pytest.approx(0.05, abs=1e-12)
    assert two_sided_p(2.228138851986274, 10) == pytest.approx(0.05, abs=1e-12)
    assert two_sided_p(math.inf) == 0.0


def test_delta_method_lift_golden_and_against_simulation():
    lift, se = relative_lift(0.05, 0.06, 0.05 * 0.95 / 10_000, 0.06 * 0.94 / 10_000)
    assert (round(lift, 6), round(se, 6)) == (0.2, 0.070654)
    rng = np.random.default_rng(0)
    a = rng.binomial(10_000, 0.05, 200_000) / 10_000
    b = rng.binomial(10_000, 0.06, 200_000) / 10_000
    assert np.std(b / a - 1) == pytest.approx(se, rel=0.03)


def test_lift_is_undefined_for_a_zero_or_vanishing_control():
    assert relative_lift(0.0, 0.1, 0.0, 0.01) == (None, None)
    assert relative_lift(1e-200, 0.1, 0.0, 0.01) == (None, None)


def test_interval_at_another_level():
    c = build_comparison(control="A", variant="B", control_value=1.0, variant_value=1.2,
                         control_variance=0.01, variant_variance=0.02, statistic=1.0,
                         p_value=0.3, df=math.inf, alpha=0.05, test="z")
    assert c.interval_at(0.05) == c.interval
    wider = c.interval_at(0.01)
    assert wider.low < c.interval.low and wider.high > c.interval.high
    assert c.lift_interval_at(0.05) == c.lift_interval


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(0, 1e3), st.floats(1e-4, 0.5),
       st.floats(1, 1e6) | st.just(math.inf))
def test_properties(estimate, se, alpha, df):
    interval = difference_interval(estimate, se, alpha, df)
    assert interval.contains(estimate)
    narrower = difference_interval(estimate, se, min(0.9, alpha * 2), df)
    assert interval.low <= narrower.low and narrower.high <= interval.high
    assert 0 <= two_sided_p(estimate, df) <= 1
