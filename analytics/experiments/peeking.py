"""Why re-running a fixed-horizon test every day misleads, and how much.

``naive_retest`` is an explanation, never a decision method: it shows what a daily
fixed-horizon z-test would have said at each look next to the false-positive rate that
habit really has. ``simulate_peeking`` measures both that rate and the mSPRT's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from analytics.experiments.comparison import Comparison
from analytics.experiments.means import pairwise_means
from analytics.experiments.proportions import proportions_test
from analytics.experiments.sequential import DEFAULT_TAU, log_mixture_likelihood_ratio
from analytics.experiments.validation import (
    RawVariant,
    check_alpha,
    check_choice,
    control_index,
    cumulative_looks,
)


@dataclass(frozen=True)
class PeekingWarning:
    """What a naive daily re-test would have claimed, and its real error rate.

    ``naive_p_values[t][j]`` is the fixed-horizon p-value of treatment j at look t.
    ``false_positive_rate`` is the chance that at least one look crosses ``alpha`` when
    there is no effect, for this schedule of looks and one comparison.
    """

    alpha: float
    looks: int
    variants: tuple[str, ...]
    naive_p_values: tuple[tuple[float, ...], ...]
    first_naive_rejection: int | None
    false_positive_rate: float
    message: str


@dataclass(frozen=True)
class PeekingSimulation:
    """Rejection rates of simulated experiments with one look per day.

    ``*_rate`` is the share of experiments that ever rejected H0 (with
    ``relative_lift = 0`` a false-positive rate, otherwise power); ``*_se`` its
    Monte Carlo standard error; ``*_by_day`` the cumulative share by the end of each day.
    ``fixed_horizon_rate`` tests once, on the last day.
    """

    experiments: int
    days: int
    daily_per_variant: int
    baseline_rate: float
    relative_lift: float
    alpha: float
    tau: float
    seed: int
    sequential_rate: float
    sequential_se: float
    naive_rate: float
    naive_se: float
    fixed_horizon_rate: float
    fixed_horizon_se: float
    sequential_by_day: tuple[float, ...]
    naive_by_day: tuple[float, ...]
    median_sequential_stop_day: float | None


def repeated_test_false_positive_rate(sample_sizes: Sequence[float], *, alpha: float = 0.05,
                                      simulations: int = 20_000, seed: int = 0) -> float:
    """P(some look rejects at ``alpha``) under H0 when testing at these cumulative sizes.

    The z-statistics of cumulative looks behave like a Brownian motion read at the
    information fractions n_t / n_last, so the rate depends only on the schedule.
    """
    alpha = check_alpha(alpha)
    sizes = np.asarray(sample_sizes, dtype=float)
    if sizes.ndim != 1 or sizes.size == 0 or np.any(sizes <= 0) or np.any(np.diff(sizes) < 0):
        raise ValueError("sample_sizes must be a non-empty, non-decreasing list of positive "
                         "cumulative sample sizes")
    fractions = sizes / sizes[-1]
    steps = np.diff(fractions, prepend=0.0)
    rng = np.random.Generator(np.random.PCG64(seed))
    increments = rng.standard_normal((simulations, sizes.size)) * np.sqrt(steps)
    paths = np.cumsum(increments, axis=1)
    z = paths / np.sqrt(fractions)
    crossed = np.any(np.abs(z) >= stats.norm.isf(alpha / 2), axis=1)
    return float(crossed.mean())


def _fixed_horizon(look: Sequence[RawVariant], metric: str,
                   control: str | None, alpha: float) -> tuple[Comparison, ...]:
    if metric == "proportion":
        return proportions_test(look, control=control, alpha=alpha).comparisons
    return pairwise_means(look, control=control, alpha=alpha)


def naive_retest(looks: Sequence[Sequence[RawVariant]], *, metric: str = "proportion",
                 control: str | None = None, alpha: float = 0.05,
                 seed: int = 0) -> PeekingWarning:
    """Explain the daily fixed-horizon re-test over ``looks`` (cumulative, oldest first).

    Not a decision method: use ``sequential_test`` to decide. The message states the
    first look a naive reader would have stopped at and the real false-positive rate.
    """
    check_choice(metric, ("proportion", "mean"), field="metric")
    alpha = check_alpha(alpha)
    parsed = cumulative_looks(looks, metric=metric)
    index = control_index([s.name for s in parsed[0]], control)
    names = tuple(s.name for i, s in enumerate(parsed[0]) if i != index)
    p_values = tuple(tuple(c.p_value for c in _fixed_horizon(look, metric, control, alpha))
                     for look in parsed)
    first = next((t for t, ps in enumerate(p_values) if min(ps) < alpha), None)
    sizes = [sum(s.n for s in look) for look in parsed]
    rate = (alpha if len(sizes) == 1
            else repeated_test_false_positive_rate(sizes, alpha=alpha, seed=seed))
    habit = (f"Re-testing at each of {len(parsed)} looks with a fixed-horizon test makes the "
             f"real false-positive rate about {rate:.0%}, not the nominal {alpha:.0%}")
    if first is None:
        claim = f"A naive daily re-test has not crossed p < {alpha:.2g} yet."
    else:
        j = int(np.argmin(p_values[first]))
        claim = (f"A naive daily re-test would have declared '{names[j]}' significant at look "
                 f"{first + 1} (p = {p_values[first][j]:.3g}).")
    message = f"{claim} {habit}; decide with the always-valid sequential p-value instead."
    return PeekingWarning(alpha=alpha, looks=len(parsed), variants=names,
                          naive_p_values=p_values, first_naive_rejection=first,
                          false_positive_rate=rate, message=message)


def _rate_and_se(hits: np.ndarray) -> tuple[float, float]:
    rate = float(hits.mean())
    return rate, math.sqrt(rate * (1 - rate) / hits.size)


def simulate_peeking(*, experiments: int = 2000, days: int = 28,
                     daily_per_variant: int = 1000, baseline_rate: float = 0.05,
                     relative_lift: float = 0.0, alpha: float = 0.05,
                     tau: float = DEFAULT_TAU, seed: int = 0) -> PeekingSimulation:
    """Simulate A/B tests of a rate looked at once a day, with three decision habits.

    Each experiment sends ``daily_per_variant`` emails per arm per day for ``days``
    days; the control converts at ``baseline_rate`` and the treatment at
    ``baseline_rate · (1 + relative_lift)``. Compared: the mSPRT checked daily (the
    same statistic as ``sequential_test``), the naive daily fixed-horizon z-test, and a
    single z-test on the last day. Vectorised over experiments; deterministic per seed.
    """
    alpha = check_alpha(alpha)
    treatment_rate = baseline_rate * (1 + relative_lift)
    if not 0 < baseline_rate < 1 or not 0 < treatment_rate < 1:
        raise ValueError(f"baseline_rate={baseline_rate} with relative_lift={relative_lift} "
                         "gives rates outside (0, 1): choose rates strictly between 0 and 1")
    for name, value in (("experiments", experiments), ("days", days),
                        ("daily_per_variant", daily_per_variant)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a whole number ≥ 1")
    rng = np.random.Generator(np.random.PCG64(seed))
    daily = rng.binomial(daily_per_variant, [baseline_rate, treatment_rate],
                         size=(experiments, days, 2))
    conversions = daily.cumsum(axis=1)
    n = daily_per_variant * np.arange(1, days + 1, dtype=float)[None, :]
    control = conversions[..., 0] / n
    treatment = conversions[..., 1] / n
    difference = treatment - control
    variance = (control * (1 - control) + treatment * (1 - treatment)) / n
    pooled = (control + treatment) / 2
    pooled_variance = pooled * (1 - pooled)
    log_lr = log_mixture_likelihood_ratio(difference, variance, tau**2 * pooled_variance)
    sequential = np.maximum.accumulate(log_lr >= math.log(1 / alpha), axis=1)
    pooled_se = np.sqrt(pooled_variance * 2 / n)
    # Where the pooled SE is 0 both rates are equal (0 or 1): no evidence, z = 0.
    z = np.divide(difference, pooled_se, out=np.zeros_like(difference), where=pooled_se > 0)
    significant = np.abs(z) >= stats.norm.isf(alpha / 2)
    naive = np.maximum.accumulate(significant, axis=1)
    sequential_rate, sequential_se = _rate_and_se(sequential[:, -1])
    naive_rate, naive_se = _rate_and_se(naive[:, -1])
    fixed_rate, fixed_se = _rate_and_se(significant[:, -1])
    stopped = sequential[:, -1]
    median_day = (float(np.median(np.argmax(sequential[stopped], axis=1) + 1))
                  if stopped.any() else None)
    return PeekingSimulation(
        experiments=experiments, days=days, daily_per_variant=daily_per_variant,
        baseline_rate=baseline_rate, relative_lift=relative_lift, alpha=alpha, tau=tau,
        seed=seed, sequential_rate=sequential_rate, sequential_se=sequential_se,
        naive_rate=naive_rate, naive_se=naive_se, fixed_horizon_rate=fixed_rate,
        fixed_horizon_se=fixed_se,
        sequential_by_day=tuple(float(x) for x in sequential.mean(axis=0)),
        naive_by_day=tuple(float(x) for x in naive.mean(axis=0)),
        median_sequential_stop_day=median_day,
    )
