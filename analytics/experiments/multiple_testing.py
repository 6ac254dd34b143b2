"""Multiple comparisons: Holm and Benjamini–Hochberg p-values, and matching intervals.

Intervals follow the correction:

- ``holm``: Bonferroni intervals at level alpha / m. Holm's step-down has no exact
  simultaneous intervals of its own; Bonferroni's are the standard, slightly
  conservative companion and always agree with Holm on the smallest p-value.
- ``bh``: Benjamini–Yekutieli false-coverage-rate intervals at level alpha · R / m,
  where R is the number of hypotheses BH rejects. They keep the expected share of
  non-covering intervals among the selected ones below alpha. When R = 0 nothing is
  selected; we then report alpha / m intervals (the R = 1 level), the most
  conservative member of the family, rather than none.
- ``none``: unadjusted intervals at level alpha.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analytics.experiments.comparison import Comparison
from analytics.experiments.summaries import Interval
from analytics.experiments.validation import check_alpha, check_choice

CORRECTIONS = ("holm", "bh", "none")


@dataclass(frozen=True)
class MultipleTesting:
    """Adjusted p-values (same order as the input), rejections and the interval level."""

    method: str
    alpha: float
    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    rejected: tuple[bool, ...]
    interval_alpha: float


@dataclass(frozen=True)
class AdjustedComparison:
    """A Comparison with its multiplicity-adjusted p-value and intervals."""

    comparison: Comparison
    correction: str
    adjusted_p_value: float
    rejected: bool
    interval_alpha: float
    interval: Interval
    lift_interval: Interval | None


def _holm(p: np.ndarray) -> np.ndarray:
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def _bh(p: np.ndarray) -> np.ndarray:
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def interval_level(method: str, alpha: float, m: int, rejected: int) -> float:
    """The two-sided alpha at which each of ``m`` intervals is built (see module doc)."""
    if method == "none" or m <= 1:
        return alpha
    if method == "holm":
        return alpha / m
    return alpha * max(rejected, 1) / m


def adjust_p_values(p_values: Sequence[float], *, method: str = "holm",
                    alpha: float = 0.05) -> MultipleTesting:
    """Adjust ``p_values`` for multiplicity.

    Matches ``statsmodels.stats.multitest.multipletests`` with ``'holm'`` and
    ``'fdr_bh'``; a hypothesis is rejected when its adjusted p-value is ≤ alpha.
    """
    check_choice(method, CORRECTIONS, field="correction")
    alpha = check_alpha(alpha)
    raw = np.asarray(p_values, dtype=float)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError("p_values must be a non-empty list of numbers")
    bad = np.flatnonzero(~((raw >= 0) & (raw <= 1)))
    if bad.size:
        first = int(bad[0])
        raise ValueError(f"p_values[{first}]={float(raw[first])!r} is not a probability: "
                         "p-values must be between 0 and 1")
    if method == "holm":
        adjusted = _holm(raw)
    elif method == "bh":
        adjusted = _bh(raw)
    else:
        adjusted = raw.copy()
    rejected = adjusted <= alpha
    return MultipleTesting(
        method=method, alpha=alpha, p_values=tuple(float(p) for p in raw),
        adjusted=tuple(float(p) for p in adjusted), rejected=tuple(bool(r) for r in rejected),
        interval_alpha=interval_level(method, alpha, raw.size, int(rejected.sum())),
    )


def adjust_comparisons(comparisons: Sequence[Comparison], *, correction: str = "holm",
                       alpha: float = 0.05) -> tuple[AdjustedComparison, ...]:
    """Adjust the p-values and widen the intervals of a family of comparisons."""
    if not comparisons:
        return ()
    family = adjust_p_values([c.p_value for c in comparisons], method=correction, alpha=alpha)
    level = family.interval_alpha
    return tuple(
        AdjustedComparison(
            comparison=c, correction=correction, adjusted_p_value=p, rejected=r,
            interval_alpha=level, interval=c.interval_at(level),
            lift_interval=c.lift_interval_at(level),
        )
        for c, p, r in zip(comparisons, family.adjusted, family.rejected, strict=True)
    )
