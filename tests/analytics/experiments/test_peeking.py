from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.experiments import (
    ProportionSummary,
    naive_retest,
    repeated_test_false_positive_rate,
    simulate_peeking,
)

ALPHA = 0.05
EXPERIMENTS = 10_000
DAYS = 28
DAILY_PER_VARIANT = 1_000
BASELINE = 0.05
LIFT = 0.15  # a 15% relative lift: 5.00% → 5.75%
# Armitage, McPherson & Rowe (1969): chance that K equally spaced two-sided tests at
# nominal 5% ever reject under H0.
REPEATED_SIGNIFICANCE = {1: 0.05, 2: 0.083, 5: 0.142, 10: 0.193, 20: 0.248}

# Cumulative looks: control n, control conversions, variant n, variant conversions
LOOKS = [
    (1_500, 64, 1_500, 94),
    (3_000, 136, 3_000, 195),
    (4_500, 208, 4_500, 281),
]


def simulate(lift):
    return simulate_peeking(experiments=EXPERIMENTS, days=DAYS,
                            daily_per_variant=DAILY_PER_VARIANT, baseline_rate=BASELINE,
                            relative_lift=lift, alpha=ALPHA, seed=2024)


def test_aa_experiments_keep_the_msprt_false_positive_rate_and_expose_naive_peeking():
    started = time.perf_counter()
    result = simulate(0.0)
    assert time.perf_counter() - started < 5
    tolerance = 3 * math.sqrt(ALPHA * (1 - ALPHA) / EXPERIMENTS)
    assert result.sequential_rate <= ALPHA + tolerance
    assert result.naive_rate > 0.15
    assert result.fixed_horizon_rate == pytest.approx(ALPHA, abs=tolerance)
    assert result.sequential_by_day[-1] == result.sequential_rate
    assert list(result.naive_by_day) == sorted(result.naive_by_day)
    assert (round(result.sequential_rate, 4), round(result.naive_rate, 4)) == (0.0126, 0.2675)


def test_msprt_has_power_against_a_known_lift():
    result = simulate(LIFT)
    assert result.sequential_rate >= 0.8
    assert result.median_sequential_stop_day < DAYS
    assert round(result.sequential_rate, 4) == 0.8653
    # One test on day 28 has more power: the price of being allowed to stop any day.
    assert round(result.fixed_horizon_rate, 4) == 0.9756


def test_simulation_is_deterministic_per_seed():
    assert simulate_peeking(experiments=200, seed=1) == simulate_peeking(experiments=200, seed=1)


@pytest.mark.parametrize(("looks", "expected"), sorted(REPEATED_SIGNIFICANCE.items()))
def test_repeated_testing_rate_matches_armitage(looks, expected):
    rate = repeated_test_false_positive_rate([k + 1 for k in range(looks)], simulations=40_000)
    assert rate == pytest.approx(expected, abs=0.01)


def test_naive_retest_explains_itself():
    looks = [[ProportionSummary("A", n_a, c_a), ProportionSummary("B", n_b, c_b)]
             for n_a, c_a, n_b, c_b in LOOKS]
    warning = naive_retest(looks)
    assert warning.first_naive_rejection == 0
    assert [round(ps[0], 6) for ps in warning.naive_p_values] == [0.014202, 0.000849, 0.000687]
    assert warning.message.startswith(
        "A naive daily re-test would have declared 'B' significant at look 1 (p = 0.0142).")
    assert f"about {warning.false_positive_rate:.0%}, not the nominal 5%" in warning.message


def test_rejects_bad_simulation_inputs():
    with pytest.raises(ValueError, match="gives rates outside"):
        simulate_peeking(baseline_rate=0.9, relative_lift=0.2)
    with pytest.raises(ValueError, match="days=0 must be a whole number"):
        simulate_peeking(days=0)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 10), st.floats(0.005, 0.2), st.integers(0, 1_000))
def test_properties(days, tau, seed):
    result = simulate_peeking(experiments=100, days=days, daily_per_variant=200, tau=tau,
                              seed=seed)
    for rate in (result.sequential_rate, result.naive_rate, result.fixed_horizon_rate):
        assert 0 <= rate <= 1
    # Testing at every look rejects at least whenever the last look alone does.
    assert result.naive_rate >= result.fixed_horizon_rate
    assert list(result.sequential_by_day) == sorted(result.sequential_by_day)
