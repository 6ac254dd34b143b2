"""Anytime-valid testing with the mixture SPRT (Johari et al., "Always valid inference").

At each look the difference θ̂ (variant − control) is treated as normal with variance V
(the unpooled variance of the difference, plugged in at that look). Mixing the
likelihood ratio of H1: θ against H0: θ = 0 over θ ~ N(0, τ²) gives

    Λ = sqrt(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²)))

Under H0, Λ is a martingale, so by Ville's inequality P(Λ ever ≥ 1/α) ≤ α: the running
minimum of 1/Λ is a p-value that stays valid however often and whenever we look, and
{θ0 : Λ(θ0) < 1/α}, intersected over looks, is an always-valid interval. This is the
statistic behind Optimizely's stats engine.

τ is given in standard-deviation units of one recipient's outcome (like Cohen's d) and
is converted at each look with the pooled per-recipient standard deviation σ, so one
default serves rates and revenue alike. The rejection threshold on |z| is smallest near
n ≈ 16.5 / τ² recipients per arm (2 log(1/α) + log(1 + 1/r) = 1/r with r = V/τ²), and
it is flat around there: ``DEFAULT_TAU = 0.03`` (≈ 18,000 per arm, e.g. a 10% relative
lift on a 9% rate) stays within 0.25 z-units of the best choice from 5,000 to 200,000
recipients per arm — the range of typical email sends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from analytics.experiments.multiple_testing import CORRECTIONS, adjust_p_values
from analytics.experiments.summaries import Interval, MeanSummary, ProportionSummary
from analytics.experiments.validation import (
    RawVariant,
    check_alpha,
    check_choice,
    control_index,
    cumulative_looks,
)

DEFAULT_TAU = 0.03
METRICS = ("proportion", "mean")


@dataclass(frozen=True)
class SequentialComparison:
    """One variant against the control at one look.

    ``variance`` is the variance of ``difference``; ``tau`` is the mixing standard
    deviation in metric units at this look. ``p_value`` (running minimum of 1/Λ) and
    ``interval`` (running intersection) are always valid; ``adjusted_p_value`` applies
    the correction across variants at this look.
    """

    variant: str
    n_control: int
    n_variant: int
    difference: float
    variance: float
    tau: float
    log_likelihood_ratio: float
    p_value: float
    adjusted_p_value: float
    interval: Interval


@dataclass(frozen=True)
class SequentialLook:
    """Every comparison at one look; ``stop`` when any adjusted p-value is ≤ alpha."""

    index: int
    comparisons: tuple[SequentialComparison, ...]
    stop: bool


@dataclass(frozen=True)
class SequentialResult:
    """The mSPRT at every look and ``stopped_at``, the first look (0-based) that stops."""

    metric: str
    control: str
    alpha: float
    tau: float
    correction: str
    interval_alpha: float
    looks: tuple[SequentialLook, ...]
    stopped_at: int | None

    @property
    def final(self) -> SequentialLook:
        return self.looks[-1]


def _safe(variance: ArrayLike, tau_squared: ArrayLike) -> tuple[np.ndarray, ...]:
    v, t2 = np.broadcast_arrays(np.asarray(variance, dtype=float),
                                np.asarray(tau_squared, dtype=float))
    # No variance yet (e.g. no conversions in either arm) means no evidence at all.
    ok = (v > 0) & (t2 > 0)
    return ok, np.where(ok, v, 1.0), np.where(ok, t2, 1.0)


def log_mixture_likelihood_ratio(difference: ArrayLike, variance: ArrayLike,
                                 tau_squared: ArrayLike) -> np.ndarray:
    """log Λ for H0: θ = 0 with a N(0, τ²) mixture; 0 where there is no variance yet."""
    ok, v, t2 = _safe(variance, tau_squared)
    d = np.asarray(difference, dtype=float)
    # Overwhelming evidence may overflow to +inf, which is the right answer (p = 0).
    with np.errstate(over="ignore", divide="ignore"):
        value = 0.5 * (np.log(v) - np.log(v + t2)) + t2 * d**2 / (2 * v * (v + t2))
    return np.where(ok, value, 0.0)


def always_valid_half_width(variance: ArrayLike, tau_squared: ArrayLike,
                            alpha: float) -> np.ndarray:
    """Half-width of {θ0 : Λ(θ0) < 1/alpha} around θ̂; infinite where there is no data."""
    ok, v, t2 = _safe(variance, tau_squared)
    # log((v + t2) / v) as a difference of logs: no overflow for a vanishing v.
    width = np.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / alpha) + np.log(v + t2) - np.log(v)))
    return np.where(ok, width, math.inf)


def _moments(control: ProportionSummary | MeanSummary,
             variant: ProportionSummary | MeanSummary) -> tuple[float, float, float]:
    """(difference, variance of the difference, pooled per-recipient variance)."""
    if isinstance(control, ProportionSummary) and isinstance(variant, ProportionSummary):
        pa, pb = control.rate, variant.rate
        pooled = (control.conversions + variant.conversions) / (control.n + variant.n)
        variance = pa * (1 - pa) / control.n + pb * (1 - pb) / variant.n
        return pb - pa, variance, pooled * (1 - pooled)
    assert isinstance(control, MeanSummary) and isinstance(variant, MeanSummary)
    variance = control.variance / control.n + variant.variance / variant.n
    pooled = (((control.n - 1) * control.variance + (variant.n - 1) * variant.variance)
              / (control.n + variant.n - 2))
    return variant.mean - control.mean, variance, pooled


def sequential_test(looks: Sequence[Sequence[RawVariant]], *, metric: str = "proportion",
                    control: str | None = None, alpha: float = 0.05, tau: float = DEFAULT_TAU,
                    correction: str = "holm") -> SequentialResult:
    """Run the mSPRT over cumulative looks (oldest first) and find the first stop.

    Each look lists every variant's cumulative summary: (name, n, conversions) for
    ``metric="proportion"`` or (name, n, sum, sum_squares) for ``"mean"``. With several
    treatments the stop rule applies ``correction`` ('holm', 'bh' or 'none') to the
    always-valid p-values at each look. Intervals use alpha / m for 'holm' and 'bh': the
    BH interval level depends on how many are rejected, which changes between looks and
    would break the running intersection.
    """
    check_choice(metric, METRICS, field="metric")
    check_choice(correction, CORRECTIONS, field="correction")
    alpha = check_alpha(alpha)
    if isinstance(tau, bool) or not isinstance(tau, int | float) or not 0 < tau < math.inf:
        raise ValueError(f"tau={tau!r} is not a mixing scale: use a positive number in "
                         f"standard-deviation units (default {DEFAULT_TAU})")
    parsed = cumulative_looks(looks, metric=metric)
    index = control_index([s.name for s in parsed[0]], control)
    m = len(parsed[0]) - 1
    interval_alpha = alpha if correction == "none" else alpha / m
    p_running = [1.0] * m
    bounds = [Interval(-math.inf, math.inf) for _ in range(m)]
    out: list[SequentialLook] = []
    for t, look in enumerate(parsed):
        base = look[index]
        others = [s for i, s in enumerate(look) if i != index]
        rows = []
        for j, other in enumerate(others):
            difference, variance, pooled = _moments(base, other)
            tau_squared = tau**2 * pooled
            log_lr = float(log_mixture_likelihood_ratio(difference, variance, tau_squared))
            p_running[j] = min(p_running[j], math.exp(-log_lr) if log_lr > 0 else 1.0)
            half = float(always_valid_half_width(variance, tau_squared, interval_alpha))
            low = max(bounds[j].low, difference - half)
            high = min(bounds[j].high, difference + half)
            # An empty intersection happens with probability ≤ alpha (the model is off);
            # showing this look's own interval beats showing an empty one.
            bounds[j] = (Interval(low, high) if low <= high
                         else Interval(difference - half, difference + half))
            rows.append((other, difference, variance, math.sqrt(tau_squared), log_lr))
        family = adjust_p_values(p_running, method=correction, alpha=alpha)
        comparisons = tuple(
            SequentialComparison(
                variant=other.name, n_control=base.n, n_variant=other.n,
                difference=difference, variance=variance, tau=tau_abs,
                log_likelihood_ratio=log_lr, p_value=p_running[j],
                adjusted_p_value=family.adjusted[j], interval=bounds[j],
            )
            for j, (other, difference, variance, tau_abs, log_lr) in enumerate(rows)
        )
        out.append(SequentialLook(index=t, comparisons=comparisons, stop=any(family.rejected)))
    stopped_at = next((look.index for look in out if look.stop), None)
    return SequentialResult(metric=metric, control=parsed[0][index].name, alpha=alpha,
                            tau=float(tau), correction=correction,
                            interval_alpha=interval_alpha, looks=tuple(out),
                            stopped_at=stopped_at)
