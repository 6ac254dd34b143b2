"""Planning: sample size, duration and the power of a running test.

A/B/n plans compare each of the k − 1 treatments with the control, so they use the
Bonferroni level alpha / (k − 1) per comparison: the same family-wise guarantee the
Holm analysis keeps, and conservative for it (Holm never needs more than Bonferroni).

Two methods for rates:

- ``cohens_h`` (default): normal power on Cohen's h = 2·asin(√p₂) − 2·asin(√p₁), the
  arcsine transform that makes the variance independent of the rate. Matches
  ``NormalIndPower().solve_power(proportion_effectsize(p₂, p₁), ...)`` exactly,
  including the small contribution of the far tail.
- ``unpooled``: the textbook closed form n = (z₁₋α/₂ + z₁₋β)² (p₁q₁ + p₂q₂) / δ²,
  with each arm's own variance under the alternative.

Means use the two-sample t-test power (noncentral t), as ``tt_ind_solve_power``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

from scipy import optimize, special, stats

from analytics.experiments.validation import check_alpha, check_choice

PROPORTION_METHODS = ("cohens_h", "unpooled")


@dataclass(frozen=True)
class SampleSizePlan:
    """Recipients needed per variant to detect ``target`` against ``baseline``.

    ``effect_size`` is standardized (Cohen's h for rates, d for means).
    ``per_variant_exact`` is the unrounded solution; ``per_variant`` rounds it up.
    ``days`` is set when a daily send volume is given.
    """

    metric: str
    method: str
    baseline: float
    target: float
    absolute_effect: float
    effect_size: float
    alpha: float
    alpha_per_comparison: float
    power: float
    variants: int
    comparisons: int
    per_variant_exact: float
    per_variant: int
    total: int
    daily_volume: int | None
    days: int | None


@dataclass(frozen=True)
class PowerResult:
    """Power of a test at the current sample sizes for an observed or assumed effect."""

    metric: str
    method: str
    power: float
    effect_size: float
    absolute_effect: float
    alpha_per_comparison: float
    n_control: int
    n_variant: int


def _number(value: float, field: str, *, low: float = -math.inf, high: float = math.inf,
            fix: str) -> float:
    if (isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value)
            or not low < value < high):
        raise ValueError(f"{field}={value!r} is out of range: {fix}")
    return float(value)


def _whole(value: int, field: str, *, minimum: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{field}={value!r} is out of range: {fix}")
    return int(value)


def days_needed(per_variant: int, daily_volume: int, variants: int) -> int:
    """Days to reach ``per_variant`` recipients in each of ``variants`` arms.

    ``daily_volume`` is the experiment's total sends per day, split evenly across arms.
    """
    daily_volume = _whole(daily_volume, "daily_volume", minimum=1,
                          fix="give the expected sends per day, at least 1")
    variants = _whole(variants, "variants", minimum=2, fix="count the control too (≥ 2)")
    return math.ceil(per_variant * variants / daily_volume)


def _normal_power(effect_size: float, n_control: float, n_variant: float, alpha: float) -> float:
    shift = abs(effect_size) * math.sqrt(1 / (1 / n_control + 1 / n_variant))
    crit = stats.norm.isf(alpha / 2)
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def _t_power(effect_size: float, n_control: float, n_variant: float, alpha: float) -> float:
    df = n_control + n_variant - 2
    shift = abs(effect_size) * math.sqrt(1 / (1 / n_control + 1 / n_variant))
    crit = stats.t.isf(alpha / 2, df)
    return float(1 - special.nctdtr(df, shift, crit) + special.nctdtr(df, shift, -crit))


def _solve(power_at: Callable[[float], float], target: float, low: float,
           high: float) -> float:
    if power_at(low) >= target:
        return low
    while power_at(high) < target:
        high *= 2
    return float(optimize.brentq(lambda n: power_at(n) - target, low, high, xtol=1e-10))


def _common(alpha: float, power: float, variants: int) -> tuple[float, float, int, float]:
    alpha = check_alpha(alpha)
    variants = _whole(variants, "variants", minimum=2,
                      fix="count every arm including the control (≥ 2)")
    comparisons = variants - 1
    per_comparison = alpha / comparisons
    power = _number(power, "power", low=per_comparison, high=1,
                    fix=f"use a probability above alpha per comparison ({per_comparison:.3g}) "
                    "and below 1, such as 0.8")
    return alpha, power, variants, per_comparison


def _plan(metric: str, method: str, baseline: float, target: float, effect_size: float,
          alpha: float, per_comparison: float, power: float, variants: int, exact: float,
          daily_volume: int | None) -> SampleSizePlan:
    per_variant = math.ceil(exact - 1e-9)
    days = None if daily_volume is None else days_needed(per_variant, daily_volume, variants)
    return SampleSizePlan(
        metric=metric, method=method, baseline=baseline, target=target,
        absolute_effect=target - baseline, effect_size=effect_size, alpha=alpha,
        alpha_per_comparison=per_comparison, power=power, variants=variants,
        comparisons=variants - 1, per_variant_exact=exact, per_variant=per_variant,
        total=per_variant * variants, daily_volume=daily_volume, days=days,
    )


def _target(baseline: float, effect: float, relative: bool) -> float:
    return baseline * (1 + effect) if relative else baseline + effect


def sample_size_proportions(baseline_rate: float, minimum_effect: float, *,
                            relative: bool = False, alpha: float = 0.05, power: float = 0.8,
                            variants: int = 2, method: str = "cohens_h",
                            daily_volume: int | None = None) -> SampleSizePlan:
    """Recipients per variant to detect a change of ``minimum_effect`` in a rate.

    ``minimum_effect`` is absolute (0.005 = half a percentage point) or, with
    ``relative=True``, a fraction of the baseline (0.1 = a 10% lift). Two-sided.
    """
    check_choice(method, PROPORTION_METHODS, field="method")
    alpha, power, variants, per_comparison = _common(alpha, power, variants)
    baseline = _number(baseline_rate, "baseline_rate", low=0, high=1,
                       fix="use a rate strictly between 0 and 1, such as 0.05")
    effect = _number(minimum_effect, "minimum_effect",
                     fix="use a non-zero change, such as 0.005 or relative=True with 0.1")
    target = _target(baseline, effect, relative)
    if effect == 0 or not 0 < target < 1:
        raise ValueError(f"minimum_effect={minimum_effect!r} gives a target rate of {target:.6g}:"
                         " the change must be non-zero and keep the rate between 0 and 1")
    h = 2 * math.asin(math.sqrt(target)) - 2 * math.asin(math.sqrt(baseline))
    z_sum = stats.norm.isf(per_comparison / 2) + stats.norm.ppf(power)
    if method == "cohens_h":
        closed_form = 2 * (z_sum / h) ** 2
        exact = _solve(lambda n: _normal_power(h, n, n, per_comparison), power,
                       1e-9, closed_form + 1)
    else:
        variance = baseline * (1 - baseline) + target * (1 - target)
        exact = float(z_sum**2 * variance / (target - baseline) ** 2)
    return _plan("proportion", method, baseline, target, h, alpha, per_comparison, power,
                 variants, exact, daily_volume)


def sample_size_means(baseline_mean: float, std: float, minimum_effect: float, *,
                      relative: bool = False, alpha: float = 0.05, power: float = 0.8,
                      variants: int = 2, daily_volume: int | None = None) -> SampleSizePlan:
    """Recipients per variant to detect a change of ``minimum_effect`` in a mean.

    ``std`` is the standard deviation of one recipient's value (for revenue per
    recipient it is large: most recipients spend nothing). Two-sided t-test power.
    """
    alpha, power, variants, per_comparison = _common(alpha, power, variants)
    baseline = _number(baseline_mean, "baseline_mean", fix="use a finite number")
    sd = _number(std, "std", low=0, fix="use the positive standard deviation per recipient")
    effect = _number(minimum_effect, "minimum_effect", fix="use a non-zero finite change")
    target = _target(baseline, effect, relative)
    if target == baseline:
        raise ValueError(f"minimum_effect={minimum_effect!r} gives no change from "
                         f"baseline_mean={baseline_mean!r}: use a non-zero change")
    d = (target - baseline) / sd
    closed_form = 2 * ((stats.norm.isf(per_comparison / 2) + stats.norm.ppf(power)) / d) ** 2
    exact = _solve(lambda n: _t_power(d, n, n, per_comparison), power, 2.0, closed_form + 4)
    return _plan("mean", "t_test", baseline, target, d, alpha, per_comparison, power,
                 variants, exact, daily_volume)


def power_proportions(n_control: int, n_variant: int, baseline_rate: float, effect: float, *,
                      relative: bool = False, alpha: float = 0.05, comparisons: int = 1,
                      method: str = "cohens_h") -> PowerResult:
    """Power of the two-sided rate test at the current sizes for a true ``effect``.

    Pass the observed effect to see how likely a test this size was to detect it, or
    the planned minimum effect to see whether waiting longer is worth it.
    """
    check_choice(method, PROPORTION_METHODS, field="method")
    alpha = check_alpha(alpha)
    comparisons = _whole(comparisons, "comparisons", minimum=1,
                         fix="count the treatments compared with the control (≥ 1)")
    n_a = _whole(n_control, "n_control", minimum=1, fix="use the control's recipients (≥ 1)")
    n_b = _whole(n_variant, "n_variant", minimum=1, fix="use the variant's recipients (≥ 1)")
    baseline = _number(baseline_rate, "baseline_rate", low=0, high=1,
                       fix="use a rate strictly between 0 and 1")
    target = _target(baseline, _number(effect, "effect", fix="use a finite change"), relative)
    if not 0 < target < 1:
        raise ValueError(f"effect={effect!r} gives a rate of {target:.6g}: keep it between 0 "
                         "and 1")
    per_comparison = alpha / comparisons
    h = 2 * math.asin(math.sqrt(target)) - 2 * math.asin(math.sqrt(baseline))
    if method == "cohens_h":
        value = _normal_power(h, n_a, n_b, per_comparison)
    else:
        se = math.sqrt(baseline * (1 - baseline) / n_a + target * (1 - target) / n_b)
        shift = abs(target - baseline) / se
        crit = stats.norm.isf(per_comparison / 2)
        value = float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))
    return PowerResult(metric="proportion", method=method, power=value, effect_size=h,
                       absolute_effect=target - baseline, alpha_per_comparison=per_comparison,
                       n_control=n_a, n_variant=n_b)


def power_means(n_control: int, n_variant: int, std: float, effect: float, *,
                alpha: float = 0.05, comparisons: int = 1) -> PowerResult:
    """Power of the two-sided t-test at the current sizes for a true difference."""
    alpha = check_alpha(alpha)
    comparisons = _whole(comparisons, "comparisons", minimum=1,
                         fix="count the treatments compared with the control (≥ 1)")
    n_a = _whole(n_control, "n_control", minimum=2, fix="use the control's recipients (≥ 2)")
    n_b = _whole(n_variant, "n_variant", minimum=2, fix="use the variant's recipients (≥ 2)")
    sd = _number(std, "std", low=0, fix="use the positive standard deviation per recipient")
    change = _number(effect, "effect", fix="use a finite difference of means")
    d = change / sd
    per_comparison = alpha / comparisons
    return PowerResult(metric="mean", method="t_test",
                       power=_t_power(d, n_a, n_b, per_comparison), effect_size=d,
                       absolute_effect=change, alpha_per_comparison=per_comparison,
                       n_control=n_a, n_variant=n_b)
