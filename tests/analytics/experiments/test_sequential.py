from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from analytics.experiments import (
    DEFAULT_TAU,
    MeanSummary,
    ProportionSummary,
    compare_means,
    sequential_test,
)
from analytics.experiments.sequential import (
    always_valid_half_width,
    log_mixture_likelihood_ratio,
)

# Cumulative daily looks: control n, control conversions, variant n, variant conversions
LOOKS = [
    (1_500, 64, 1_500, 94),
    (3_000, 136, 3_000, 195),
    (4_500, 208, 4_500, 281),
    (6_000, 292, 6_000, 367),
    (7_500, 356, 7_500, 457),
    (9_000, 436, 9_000, 554),
    (10_500, 526, 10_500, 642),
    (12_000, 608, 12_000, 738),
    (13_500, 696, 13_500, 833),
    (15_000, 766, 15_000, 925),
]


def looks(rows=LOOKS):
    return [[ProportionSummary("A", n_a, c_a), ProportionSummary("B", n_b, c_b)]
            for n_a, c_a, n_b, c_b in rows]


@pytest.mark.parametrize(("difference", "variance", "tau_squared"), [
    (0.01, 1e-5, 5e-5), (-0.004, 2e-6, 1e-6), (1.5, 0.4, 2.0), (0.0, 1e-4, 1e-3),
])
def test_log_lr_is_the_normal_mixture_of_likelihood_ratios(difference, variance, tau_squared):
    sd, tau = math.sqrt(variance), math.sqrt(tau_squared)

    def integrand(theta):
        ratio = stats.norm.pdf(difference, theta, sd) / stats.norm.pdf(difference, 0, sd)
        return ratio * stats.norm.pdf(theta, 0, tau)

    mixture, _ = integrate.quad(integrand, -12 * tau, 12 * tau, epsabs=0, epsrel=1e-11,
                                limit=200)
    assert float(log_mixture_likelihood_ratio(difference, variance, tau_squared)) == (
        pytest.approx(math.log(mixture), abs=1e-8))


def test_interval_ends_are_where_the_mixture_crosses_one_over_alpha():
    difference, variance, tau_squared, alpha = 0.012, 1.4e-5, 4e-5, 0.05
    half = float(always_valid_half_width(variance, tau_squared, alpha))
    for end in (difference - half, difference + half):
        log_lr = float(log_mixture_likelihood_ratio(difference - end, variance, tau_squared))
        assert log_lr == pytest.approx(math.log(1 / alpha), abs=1e-9)


def test_no_variance_means_no_evidence():
    assert float(log_mixture_likelihood_ratio(0.0, 0.0, 0.0)) == 0.0
    assert float(always_valid_half_width(0.0, 0.0, 0.05)) == math.inf
    result = sequential_test([[ProportionSummary("A", 100, 0), ProportionSummary("B", 100, 0)]])
    comparison = result.final.comparisons[0]
    assert comparison.p_value == 1.0 and not comparison.interval.bounded


def test_golden_values():
    result = sequential_test(looks())
    assert result.stopped_at == 2
    assert result.tau == DEFAULT_TAU and result.interval_alpha == 0.05
    third = result.looks[2].comparisons[0]
    assert round(third.p_value, 6) == 0.036521
    assert (round(third.interval.low, 6), round(third.interval.high, 6)) == (0.000673, 0.031771)
    last = result.final.comparisons[0]
    assert round(last.log_likelihood_ratio, 6) == 5.879569
    assert round(last.p_value, 6) == 0.002796
    assert (round(last.interval.low, 6), round(last.interval.high, 6)) == (0.002646, 0.018689)
    assert round(last.tau, 6) == 0.006919
    assert [look.stop for look in result.looks] == [False, False] + [True] * 8


def test_p_values_only_fall_and_intervals_only_shrink():
    result = sequential_test(looks())
    previous = None
    for look in result.looks:
        current = look.comparisons[0]
        if previous is not None:
            assert current.p_value <= previous.p_value
            assert previous.interval.low <= current.interval.low
            assert current.interval.high <= previous.interval.high
        previous = current


def test_abn_uses_the_correction():
    rows = [[ProportionSummary("A", n, c), ProportionSummary("B", n, c2),
             ProportionSummary("C", n, c)] for n, c, _, c2 in LOOKS]
    holm = sequential_test(rows, correction="holm")
    assert holm.interval_alpha == 0.025
    final = holm.final.comparisons
    assert final[0].adjusted_p_value == pytest.approx(min(1.0, 2 * final[0].p_value))
    assert final[1].p_value == 1.0 or final[1].adjusted_p_value >= final[1].p_value
    assert holm.stopped_at == 4
    assert sequential_test(rows, correction="none").stopped_at == 2


def test_means_use_the_welch_variance():
    rng = np.random.default_rng(9)
    a, b = rng.exponential(10, 3_000), rng.exponential(11, 3_000)
    steps = [[MeanSummary(name, k, float(x[:k].sum()), float((x[:k] ** 2).sum()))
              for name, x in (("A", a), ("B", b))] for k in (1_000, 2_000, 3_000)]
    result = sequential_test(steps, metric="mean")
    welch = compare_means(*steps[-1])
    last = result.final.comparisons[0]
    assert last.difference == pytest.approx(welch.difference)
    assert last.variance == pytest.approx(welch.standard_error**2)


@pytest.mark.parametrize(("rows", "message"), [
    ([[("A", 100, 5), ("B", 100, 6)], [("A", 90, 5), ("B", 200, 9)]],
     r"looks\[1\]\[0\].n=90 is below n=100 at the previous look for variant 'A'"),
    ([[("A", 100, 5), ("B", 100, 6)], [("A", 200, 4), ("B", 200, 9)]],
     r"looks\[1\]\[0\].conversions=4 is below 5 at the previous look for variant 'A'"),
    ([[("A", 100, 5), ("B", 100, 6)], [("A", 200, 5), ("C", 200, 9)]],
     r"looks\[1\] has variants \['A', 'C'\] but looks\[0\] has \['A', 'B'\]"),
    ([], "looks must be a non-empty list"),
])
def test_rejects_inconsistent_looks(rows, message):
    raw = [[{"name": n, "n": size, "conversions": c} for n, size, c in look] for look in rows]
    with pytest.raises(ValueError, match=message):
        sequential_test(raw)


def test_rejects_bad_tau():
    with pytest.raises(ValueError, match="tau=0 is not a mixing scale"):
        sequential_test(looks(), tau=0)


@st.composite
def cumulative(draw):
    count = draw(st.integers(1, 8))
    rows, n_a, c_a, n_b, c_b = [], 0, 0, 0, 0
    for _ in range(count):
        add_a, add_b = draw(st.integers(1, 3_000)), draw(st.integers(1, 3_000))
        c_a += draw(st.integers(0, add_a))
        c_b += draw(st.integers(0, add_b))
        n_a, n_b = n_a + add_a, n_b + add_b
        rows.append((n_a, c_a, n_b, c_b))
    return rows


@settings(max_examples=120, deadline=None)
@given(cumulative(), st.floats(0.005, 0.5))
def test_properties(rows, tau):
    result = sequential_test(looks(rows), tau=tau)
    p_values = [look.comparisons[0].p_value for look in result.looks]
    assert all(0 <= p <= 1 for p in p_values)
    assert all(b <= a for a, b in zip(p_values, p_values[1:], strict=False))
    first = result.looks[0].comparisons[0]
    # At a single look the interval excludes 0 exactly when the p-value is ≤ alpha.
    if first.interval.bounded and abs(first.p_value - 0.05) > 1e-9:
        assert (not first.interval.contains(0.0)) == (first.p_value <= 0.05)
    if result.stopped_at is not None:
        assert p_values[result.stopped_at] <= 0.05
        assert all(p > 0.05 for p in p_values[: result.stopped_at])
    swapped = sequential_test([[b, a] for a, b in looks(rows)], tau=tau)
    assert swapped.final.comparisons[0].difference == pytest.approx(
        -result.final.comparisons[0].difference)
    assert swapped.final.comparisons[0].p_value == pytest.approx(
        result.final.comparisons[0].p_value)
