from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower, TTestIndPower, tt_ind_solve_power
from statsmodels.stats.proportion import proportion_effectsize

from analytics.experiments import (
    days_needed,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)

# baseline rate, minimum effect, relative?, alpha, power, variants
RATE_PLANS = [
    (0.05, 0.1, True, 0.05, 0.8, 2),
    (0.20, 0.01, False, 0.05, 0.9, 2),
    (0.02, -0.15, True, 0.01, 0.8, 2),
    (0.05, 0.1, True, 0.05, 0.8, 4),
]
# baseline mean, std, minimum effect (absolute), alpha, power, variants
MEAN_PLANS = [
    (2.0, 10.0, 0.2, 0.05, 0.8, 2),
    (2.0, 1.0, 1.5, 0.05, 0.8, 2),
    (30.0, 45.0, 3.0, 0.05, 0.9, 3),
]


@pytest.mark.parametrize(("baseline", "effect", "relative", "alpha", "power", "variants"),
                         RATE_PLANS)
def test_rate_sample_size_matches_statsmodels(baseline, effect, relative, alpha, power,
                                              variants):
    plan = sample_size_proportions(baseline, effect, relative=relative, alpha=alpha,
                                   power=power, variants=variants)
    target = baseline * (1 + effect) if relative else baseline + effect
    expected = NormalIndPower().solve_power(
        effect_size=proportion_effectsize(target, baseline), alpha=alpha / (variants - 1),
        power=power, ratio=1.0, alternative="two-sided")
    assert plan.per_variant_exact == pytest.approx(expected, rel=1e-6)
    assert plan.per_variant == math.ceil(expected)
    assert plan.total == plan.per_variant * variants


@pytest.mark.parametrize(("baseline", "std", "effect", "alpha", "power", "variants"),
                         MEAN_PLANS)
def test_mean_sample_size_matches_statsmodels(baseline, std, effect, alpha, power, variants):
    plan = sample_size_means(baseline, std, effect, alpha=alpha, power=power, variants=variants)
    expected = tt_ind_solve_power(effect_size=effect / std, alpha=alpha / (variants - 1),
                                  power=power)
    assert plan.per_variant_exact == pytest.approx(expected, rel=1e-6)


def test_golden_plans():
    plan = sample_size_proportions(0.05, 0.1, relative=True, daily_volume=20_000)
    assert (plan.per_variant, plan.total, plan.days) == (31_218, 62_436, 4)
    assert round(plan.effect_size, 6) == 0.022424
    assert round(plan.absolute_effect, 6) == 0.005
    unpooled = sample_size_proportions(0.05, 0.1, relative=True, method="unpooled")
    assert round(unpooled.per_variant_exact, 3) == 31_230.692
    abn = sample_size_proportions(0.05, 0.1, relative=True, variants=4, daily_volume=20_000)
    assert (abn.per_variant, abn.alpha_per_comparison, abn.days) == (41_640, 0.05 / 3, 9)
    means = sample_size_means(2.0, 10.0, 0.1, relative=True)
    assert means.per_variant == 39_246


def test_unpooled_formula():
    p1, p2 = 0.05, 0.055
    z = 1.959963984540054 + 0.8416212335729143
    expected = z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2
    plan = sample_size_proportions(p1, 0.005, method="unpooled")
    assert plan.per_variant_exact == pytest.approx(expected, rel=1e-9)


def test_days_needed():
    assert days_needed(31_218, 20_000, 2) == 4
    assert days_needed(10_000, 5_000, 3) == 6
    with pytest.raises(ValueError, match="daily_volume=0 is out of range"):
        days_needed(100, 0, 2)


@pytest.mark.parametrize(("n_control", "n_variant", "effect"),
                         [(10_000, 12_000, 0.006), (5_000, 5_000, -0.004), (800, 300, 0.02)])
def test_rate_power_matches_statsmodels(n_control, n_variant, effect):
    result = power_proportions(n_control, n_variant, 0.05, effect)
    expected = NormalIndPower().power(proportion_effectsize(0.05 + effect, 0.05), n_control,
                                      0.05, ratio=n_variant / n_control)
    assert result.power == pytest.approx(expected, abs=1e-9)


def test_mean_power_matches_statsmodels():
    result = power_means(500, 700, 3.0, 0.4)
    expected = TTestIndPower().power(0.4 / 3.0, 500, 0.05, ratio=700 / 500)
    assert result.power == pytest.approx(expected, abs=1e-9)
    assert round(result.power, 6) == 0.623748


def test_power_at_the_planned_size_is_the_planned_power():
    plan = sample_size_proportions(0.05, 0.1, relative=True)
    exact = power_proportions(plan.per_variant, plan.per_variant, 0.05, 0.1, relative=True)
    assert exact.power == pytest.approx(0.8, abs=1e-4)
    golden = power_proportions(20_000, 20_000, 0.05, 0.005, method="unpooled")
    assert round(golden.power, 6) == 0.61104


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"baseline_rate": 1.2, "minimum_effect": 0.01}, "baseline_rate=1.2 is out of range"),
    ({"baseline_rate": 0.05, "minimum_effect": 0}, "minimum_effect=0 gives a target rate"),
    ({"baseline_rate": 0.95, "minimum_effect": 0.1}, "keep the rate between 0 and 1"),
    ({"baseline_rate": 0.05, "minimum_effect": 0.01, "power": 0.01}, "power=0.01 is out"),
    ({"baseline_rate": 0.05, "minimum_effect": 0.01, "variants": 1}, "variants=1 is out"),
    ({"baseline_rate": 0.05, "minimum_effect": 0.01, "method": "x"}, "method='x' is not"),
])
def test_rejects_bad_plans(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_size_proportions(**kwargs)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.005, 0.5), st.floats(0.02, 0.5), st.sampled_from([2, 3, 5]))
def test_properties(baseline, lift, variants):
    small = sample_size_proportions(baseline, lift, relative=True, variants=variants)
    large = sample_size_proportions(baseline, lift * 1.5, relative=True, variants=variants)
    assert large.per_variant_exact < small.per_variant_exact
    two = sample_size_proportions(baseline, lift, relative=True)
    assert small.per_variant_exact >= two.per_variant_exact
    # Cohen's h and the unpooled formula agree closely for small effects.
    unpooled = sample_size_proportions(baseline, lift, relative=True, method="unpooled")
    assert unpooled.per_variant_exact == pytest.approx(two.per_variant_exact, rel=0.1)
