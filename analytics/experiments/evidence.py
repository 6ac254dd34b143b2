"""One shape for what each method says about a variant, so the verdict rules are shared.

How each method maps onto ``significant`` and the intervals:

- fixed: the multiplicity-adjusted p-value ≤ alpha, and the adjusted intervals.
- sequential: the adjusted always-valid p-value ≤ alpha and the always-valid interval
  of the difference. Its lift interval is that interval moved onto the lift scale by
  the delta method (endpoints scaled by SE(lift) / SE(difference) around the lift),
  an approximation that keeps the control's own noise in.
- bayesian: the equal-tailed credible interval of the difference excludes 0, i.e.
  P(variant beats control) ≥ 1 − alpha/2 (two-sided, like the other methods). Posterior
  probabilities are not adjusted for multiple variants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analytics.experiments.bayesian import BayesianResult
from analytics.experiments.comparison import Comparison
from analytics.experiments.multiple_testing import AdjustedComparison
from analytics.experiments.sequential import SequentialResult
from analytics.experiments.summaries import Interval


@dataclass(frozen=True)
class Evidence:
    """One variant against the control in the terms the verdict rules use.

    ``p_value`` is the adjusted p-value (fixed, sequential) or None (bayesian);
    ``probability_better`` is P(variant > control) (bayesian) or None.
    """

    variant: str
    control_value: float
    variant_value: float
    difference: float
    difference_interval: Interval
    relative_lift: float | None
    lift_interval: Interval | None
    significant: bool
    p_value: float | None
    probability_better: float | None


@dataclass(frozen=True)
class MetricEvidence:
    """Every variant's evidence on one metric; ``kind`` is "proportion" or "mean"."""

    metric: str
    kind: str
    method: str
    control: str
    higher_is_better: bool
    interval_level: float
    evidence: tuple[Evidence, ...]


def evidence_from_fixed(metric: str, kind: str, adjusted: Sequence[AdjustedComparison], *,
                        higher_is_better: bool = True) -> MetricEvidence:
    """Evidence from fixed-horizon comparisons adjusted for multiplicity."""
    rows = tuple(
        Evidence(
            variant=a.comparison.variant, control_value=a.comparison.control_value,
            variant_value=a.comparison.variant_value, difference=a.comparison.difference,
            difference_interval=a.interval, relative_lift=a.comparison.relative_lift,
            lift_interval=a.lift_interval, significant=a.rejected,
            p_value=a.adjusted_p_value, probability_better=None,
        )
        for a in adjusted
    )
    return MetricEvidence(metric=metric, kind=kind, method="fixed",
                          control=adjusted[0].comparison.control,
                          higher_is_better=higher_is_better,
                          interval_level=1 - adjusted[0].interval_alpha, evidence=rows)


def _lift_interval(comparison: Comparison, interval: Interval) -> Interval | None:
    lift, lift_se = comparison.relative_lift, comparison.lift_standard_error
    if lift is None or lift_se is None or comparison.standard_error == 0:
        return None
    scale = lift_se / comparison.standard_error
    return Interval(lift + (interval.low - comparison.difference) * scale,
                    lift + (interval.high - comparison.difference) * scale)


def evidence_from_sequential(metric: str, kind: str, result: SequentialResult,
                             final: Sequence[Comparison], *,
                             higher_is_better: bool = True) -> MetricEvidence:
    """Evidence from the mSPRT's last look; ``final`` are fixed comparisons at that look."""
    by_name = {c.variant: c for c in final}
    rows = []
    for s in result.final.comparisons:
        c = by_name[s.variant]
        rows.append(Evidence(
            variant=s.variant, control_value=c.control_value, variant_value=c.variant_value,
            difference=s.difference, difference_interval=s.interval,
            relative_lift=c.relative_lift, lift_interval=_lift_interval(c, s.interval),
            significant=s.adjusted_p_value <= result.alpha, p_value=s.adjusted_p_value,
            probability_better=None,
        ))
    return MetricEvidence(metric=metric, kind=kind, method="sequential",
                          control=result.control, higher_is_better=higher_is_better,
                          interval_level=1 - result.interval_alpha, evidence=tuple(rows))


def evidence_from_bayesian(metric: str, result: BayesianResult, *,
                           higher_is_better: bool = True) -> MetricEvidence:
    """Evidence from Beta-Binomial posteriors (rates only)."""
    control = next(v for v in result.variants if v.name == result.control)
    rows = []
    for v in result.variants:
        if v.name == result.control or v.difference_interval is None:
            continue
        interval = v.difference_interval
        rows.append(Evidence(
            variant=v.name, control_value=control.mean, variant_value=v.mean,
            difference=v.difference_mean if v.difference_mean is not None else 0.0,
            difference_interval=interval, relative_lift=v.lift_mean,
            lift_interval=v.lift_interval, significant=interval.low > 0 or interval.high < 0,
            p_value=None, probability_better=v.probability_beats_control,
        ))
    return MetricEvidence(metric=metric, kind="proportion", method="bayesian",
                          control=result.control, higher_is_better=higher_is_better,
                          interval_level=result.credible_level, evidence=tuple(rows))
