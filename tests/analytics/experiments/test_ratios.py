from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.experiments import RatioSummary, compare_ratios
from analytics.experiments.ratios import ratio_variance

# name, n, sum_x (clicks), sum_y (opens), sum_x2, sum_y2, sum_xy
VARIANTS = [
    ("A", 5_000, 620.0, 8_100.0, 1_010.0, 21_500.0, 1_990.0),
    ("B", 5_000, 760.0, 8_000.0, 1_290.0, 21_000.0, 2_450.0),
]


def summary(name, clicks, opens):
    x, y = np.asarray(clicks, dtype=float), np.asarray(opens, dtype=float)
    return RatioSummary(name, x.size, float(x.sum()), float(y.sum()), float((x * x).sum()),
                        float((y * y).sum()), float((x * y).sum()))


def delta_variance_from_raw(x, y):
    # Independent route: gradient of mean(x)/mean(y) times the covariance of the means.
    gradient = np.array([1 / y.mean(), -x.mean() / y.mean() ** 2])
    covariance = np.cov(np.vstack([x, y])) / x.size
    return float(gradient @ covariance @ gradient)


@pytest.mark.parametrize("seed", [11, 12])
def test_variance_matches_the_delta_method_on_raw_data(seed):
    rng = np.random.default_rng(seed)
    opens = rng.poisson(1.5, 3_000)
    clicks = rng.binomial(opens, 0.12)
    assert ratio_variance(summary("A", clicks, opens)) == pytest.approx(
        delta_variance_from_raw(clicks, opens), rel=1e-9)


def test_one_open_each_reduces_to_a_mean():
    rng = np.random.default_rng(3)
    a, b = rng.binomial(1, 0.1, 2_000), rng.binomial(1, 0.13, 2_000)
    ones = np.ones(2_000)
    result = compare_ratios(summary("A", a, ones), summary("B", b, ones))
    assert result.variant_variance == pytest.approx(b.var(ddof=1) / b.size, rel=1e-12)
    assert result.difference == pytest.approx(b.mean() - a.mean(), abs=1e-12)


def test_golden_values():
    a, b = (RatioSummary(*row) for row in VARIANTS)
    result = compare_ratios(a, b)
    assert (round(result.control_value, 6), round(result.variant_value, 6)) == (0.076543, 0.095)
    assert round(result.control_variance, 10) == 0.0000126732
    assert round(result.difference, 6) == 0.018457
    assert (round(result.interval.low, 6), round(result.interval.high, 6)) == (0.00799, 0.028924)
    assert round(result.statistic, 6) == 3.456029
    assert round(result.p_value, 6) == 0.000548
    assert result.test == "delta_z"


@st.composite
def recipients(draw):
    size = draw(st.integers(2, 30))
    opens = draw(st.lists(st.integers(1, 6), min_size=size, max_size=size))
    clicks = [draw(st.integers(0, o)) for o in opens]
    return clicks, opens


@settings(max_examples=150, deadline=None)
@given(recipients(), recipients())
def test_properties(a, b):
    forward = compare_ratios(summary("A", *a), summary("B", *b))
    backward = compare_ratios(summary("B", *b), summary("A", *a))
    assert 0 <= forward.p_value <= 1
    assert forward.control_variance >= 0 and forward.variant_variance >= 0
    assert forward.interval.contains(forward.difference)
    assert backward.difference == pytest.approx(-forward.difference, abs=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, abs=1e-12)
