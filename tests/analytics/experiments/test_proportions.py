from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from analytics.experiments import (
    ProportionSummary,
    chi_square_test,
    compare_proportions,
    proportions_test,
)

# name, n, conversions
VARIANTS = [
    ("A", 10_000, 500),
    ("B", 10_050, 590),
    ("C", 9_990, 520),
]
PAIRS = [  # control (n, conversions), variant (n, conversions)
    ((10_000, 500), (10_050, 590)),
    ((1_200, 35), (800, 31)),
    ((50, 0), (60, 3)),
    ((30_000, 29_000), (31_000, 30_100)),
]


def summaries(rows=VARIANTS):
    return [ProportionSummary(name, n, conversions) for name, n, conversions in rows]


@pytest.mark.parametrize(("control", "variant"), PAIRS)
def test_z_test_matches_statsmodels(control, variant):
    (n_a, c_a), (n_b, c_b) = control, variant
    result = compare_proportions(ProportionSummary("A", n_a, c_a), ProportionSummary("B", n_b, c_b))
    z, p = proportions_ztest([c_b, c_a], [n_b, n_a])
    assert result.statistic == pytest.approx(z, abs=1e-6)
    assert result.p_value == pytest.approx(p, abs=1e-6)
    low, high = confint_proportions_2indep(c_b, n_b, c_a, n_a, method="wald", compare="diff")
    assert result.interval.low == pytest.approx(low, abs=1e-6)
    assert result.interval.high == pytest.approx(high, abs=1e-6)


def test_golden_values():
    a, b, _ = summaries()
    result = compare_proportions(a, b)
    assert round(result.difference, 6) == 0.008706
    assert round(result.statistic, 6) == 2.718628
    assert round(result.p_value, 6) == 0.006555
    assert (round(result.interval.low, 6), round(result.interval.high, 6)) == (0.002432, 0.014981)
    assert round(result.relative_lift, 6) == 0.174129
    assert (round(result.lift_interval.low, 6), round(result.lift_interval.high, 6)) == (
        0.038075, 0.310184)
    assert result.test == "z_pooled"


def test_chi_square_matches_scipy():
    table = [[c, n - c] for _, n, c in VARIANTS]
    expected = chi2_contingency(table, correction=False)
    result = chi_square_test(summaries())
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-6)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-6)
    assert result.df == expected.dof
    for ours, theirs in zip(result.expected, expected.expected_freq, strict=True):
        assert ours == pytest.approx(tuple(theirs), abs=1e-6)
    assert (round(result.statistic, 6), round(result.p_value, 6)) == (8.193574, 0.016626)


def test_chi_square_without_any_conversion_has_no_evidence():
    result = chi_square_test([ProportionSummary("A", 100, 0), ProportionSummary("B", 90, 0)])
    assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_abn_compares_every_variant_with_the_named_control():
    result = proportions_test(summaries(), control="B")
    assert result.control == "B"
    assert [(c.control, c.variant) for c in result.comparisons] == [("B", "A"), ("B", "C")]
    assert result.comparisons[0].difference == pytest.approx(0.05 - 590 / 10_050)


def test_equal_zero_rates_give_p_one_and_no_lift():
    result = compare_proportions(ProportionSummary("A", 100, 0), ProportionSummary("B", 100, 0))
    assert (result.statistic, result.p_value) == (0.0, 1.0)
    assert result.relative_lift is None and result.lift_interval is None


@st.composite
def pairs(draw):
    n_a = draw(st.integers(1, 100_000))
    n_b = draw(st.integers(1, 100_000))
    return (ProportionSummary("A", n_a, draw(st.integers(0, n_a))),
            ProportionSummary("B", n_b, draw(st.integers(0, n_b))))


@settings(max_examples=200, deadline=None)
@given(pairs())
def test_properties(pair):
    a, b = pair
    forward = compare_proportions(a, b)
    backward = compare_proportions(b, a)
    assert 0 <= forward.p_value <= 1
    assert forward.interval.contains(forward.difference)
    assert backward.difference == -forward.difference
    assert backward.statistic == pytest.approx(-forward.statistic, abs=1e-9)
    assert backward.p_value == pytest.approx(forward.p_value, abs=1e-12)
    if forward.lift_interval is not None:
        assert forward.lift_interval.contains(forward.relative_lift)
    chi = chi_square_test([a, b])
    # For two arms the uncorrected chi-square statistic is the pooled z squared.
    assert chi.statistic == pytest.approx(forward.statistic**2, rel=1e-9, abs=1e-9)
    assert math.isclose(chi.p_value, forward.p_value, rel_tol=1e-7, abs_tol=1e-12)
