from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analytics.experiments import MeanSummary, compare_means, pairwise_means

# name, n, sum, sum_squares (revenue per recipient)
VARIANTS = [
    ("A", 400, 1194.084217680505, 113013.82242210816),
    ("B", 450, 3017.7644242842807, 456489.66751112),
    ("C", 420, 1500.0, 120000.0),
]


def summary(name, values):
    values = np.asarray(values, dtype=float)
    return MeanSummary(name, values.size, float(values.sum()), float((values**2).sum()))


def revenue(rng, n, buyers):
    return np.where(rng.random(n) < buyers, rng.lognormal(3, 1, n), 0.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_welch_matches_scipy_on_raw_data(seed):
    rng = np.random.default_rng(seed)
    a, b = revenue(rng, 500, 0.1), revenue(rng, 700, 0.13)
    result = compare_means(summary("A", a), summary("B", b))
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-6)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-6)
    assert result.df == pytest.approx(expected.df, abs=1e-6)
    ci = expected.confidence_interval(0.95)
    assert result.interval.low == pytest.approx(ci.low, abs=1e-6)
    assert result.interval.high == pytest.approx(ci.high, abs=1e-6)
    assert result.difference == pytest.approx(b.mean() - a.mean(), abs=1e-9)


def test_golden_values():
    a, b, _ = (MeanSummary(*row) for row in VARIANTS)
    result = compare_means(a, b)
    assert round(result.statistic, 6) == 2.206064
    assert round(result.p_value, 6) == 0.027704
    assert round(result.df, 4) == 700.0436
    assert (round(result.interval.low, 6), round(result.interval.high, 6)) == (0.409368, 7.032497)
    assert round(result.relative_lift, 6) == 1.246456
    assert (round(result.lift_interval.low, 6), round(result.lift_interval.high, 6)) == (
        -0.310005, 2.802917)
    assert result.test == "welch_t"


def test_pairwise_uses_the_control():
    result = pairwise_means([MeanSummary(*row) for row in VARIANTS], control="C")
    assert [(c.control, c.variant) for c in result] == [("C", "A"), ("C", "B")]


def test_constant_arms():
    same = compare_means(MeanSummary("A", 10, 20.0, 40.0), MeanSummary("B", 10, 20.0, 40.0))
    assert (same.statistic, same.p_value) == (0.0, 1.0)
    apart = compare_means(MeanSummary("A", 10, 20.0, 40.0), MeanSummary("B", 10, 30.0, 90.0))
    assert apart.p_value == 0.0 and apart.statistic == float("inf")


values = st.lists(st.floats(0, 1000, allow_nan=False), min_size=2, max_size=40)


@settings(max_examples=150, deadline=None)
@given(values, values)
def test_properties(a, b):
    forward = compare_means(summary("A", a), summary("B", b))
    backward = compare_means(summary("B", b), summary("A", a))
    assert 0 <= forward.p_value <= 1
    assert forward.interval.contains(forward.difference)
    assert backward.difference == pytest.approx(-forward.difference, abs=1e-9)
    assert backward.p_value == pytest.approx(forward.p_value, abs=1e-9)
    assert forward.df >= min(len(a), len(b)) - 1 - 1e-9
