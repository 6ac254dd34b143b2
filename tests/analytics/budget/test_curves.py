from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.budget.curves import HillCurve, fit_curve, steady_equivalent


def test_golden_hill_values_and_marginal():
    curve = HillCurve(top=1000.0, half=200.0, shape=1.0)
    assert float(curve.revenue(200.0)) == 500.0
    assert float(curve.revenue(600.0)) == 750.0
    # d/ds of 1000 s / (s + 200) = 1000 * 200 / (s + 200)^2
    assert float(curve.marginal(200.0)) == pytest.approx(1.25)
    assert float(curve.marginal(0.0)) == pytest.approx(5.0)


def test_steady_equivalent_carries_spend_over():
    x = steady_equivalent(np.array([100.0, 0.0, 100.0]), 0.5)
    # adstock: 200 (steady), 100, 150 -> times (1 - d)
    assert x.tolist() == [100.0, 50.0, 75.0]


def test_fit_recovers_a_noiseless_curve_and_its_marginal_roi():
    truth = HillCurve(top=5000.0, half=800.0, shape=1.3)
    spend = np.linspace(100, 3000, 18)
    revenue = truth.revenue(spend)
    fit = fit_curve("social", spend, revenue, conversions=[1.0] * 18, resamples=20)
    assert fit.warnings == ()
    assert fit.decay == 0.0
    assert fit.r_squared == pytest.approx(1.0, abs=1e-6)
    for s in (200.0, 1000.0, 2500.0):
        assert float(fit.curve.revenue(s)) == pytest.approx(float(truth.revenue(s)), rel=1e-3)
    current = float(np.mean(spend[-3:]))
    assert fit.current_spend == pytest.approx(current)
    assert fit.marginal_roi == pytest.approx(float(truth.marginal(current)) - 1, rel=1e-2)
    low, high = fit.interval(1000.0)
    assert low <= float(truth.revenue(1000.0)) * 1.001 and high >= float(
        truth.revenue(1000.0)) * 0.999


def test_short_or_flat_history_warns_and_uses_the_assumed_curve():
    short = fit_curve("email", [100.0, 120.0, 90.0], [300.0, 330.0, 270.0])
    assert "only 3 months" in short.warnings[0]
    assert short.curve == HillCurve(top=600.0, half=pytest.approx(310 / 3), shape=1.0)
    flat = fit_curve("email", [100.0] * 8, [300.0 + i for i in range(8)])
    assert "barely varies" in flat.warnings[0]
    # through the average month: R(mean spend) = mean revenue
    assert float(flat.curve.revenue(100.0)) == pytest.approx(303.5)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="3 spend months but 2 revenue months"):
        fit_curve("x", [1.0, 2.0, 3.0], [1.0, 2.0])


@settings(max_examples=30, deadline=None)
@given(st.floats(10, 1e4), st.floats(10, 1e4), st.floats(0.5, 3.0),
       st.floats(0, 1e5), st.floats(0, 1e5))
def test_hill_is_increasing_and_bounded(top, half, shape, a, b):
    curve = HillCurve(top, half, shape)
    lo, hi = sorted((a, b))
    assert float(curve.revenue(lo)) <= float(curve.revenue(hi)) + 1e-9
    assert 0 <= float(curve.revenue(hi)) <= top
    assert float(curve.marginal(hi)) >= 0
