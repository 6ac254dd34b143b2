"""Per-recipient means (revenue per recipient): Welch's t-test from summary numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence

from analytics.experiments.comparison import Comparison, build_comparison, two_sided_p
from analytics.experiments.summaries import MeanSummary
from analytics.experiments.validation import (
    RawVariant,
    check_alpha,
    control_index,
    mean_summaries,
)


def welch_df(control: MeanSummary, variant: MeanSummary) -> float:
    """Welch–Satterthwaite degrees of freedom of the difference of two means."""
    v_control = control.variance / control.n
    v_variant = variant.variance / variant.n
    denominator = v_control**2 / (control.n - 1) + v_variant**2 / (variant.n - 1)
    if denominator == 0:
        # Both arms constant: the formula is 0/0; the pooled df is the natural limit.
        return float(control.n + variant.n - 2)
    return (v_control + v_variant) ** 2 / denominator


def _welch(control: MeanSummary, variant: MeanSummary, alpha: float) -> Comparison:
    v_control = control.variance / control.n
    v_variant = variant.variance / variant.n
    difference = variant.mean - control.mean
    se = math.sqrt(v_control + v_variant)
    df = welch_df(control, variant)
    if se > 0:
        statistic = difference / se
        p_value = two_sided_p(statistic, df)
    elif difference == 0:
        statistic, p_value = 0.0, 1.0
    else:
        # Two constant arms with different values: the difference is certain.
        statistic, p_value = math.copysign(math.inf, difference), 0.0
    return build_comparison(
        control=control.name, variant=variant.name, control_value=control.mean,
        variant_value=variant.mean, control_variance=v_control, variant_variance=v_variant,
        statistic=statistic, p_value=p_value, df=df, alpha=alpha, test="welch_t",
    )


def compare_means(control: RawVariant, variant: RawVariant, *,
                  alpha: float = 0.05) -> Comparison:
    """Welch's t-test of ``variant`` against ``control`` from (n, sum, sum_squares).

    Matches ``scipy.stats.ttest_ind(variant_values, control_values, equal_var=False)``;
    the interval of the difference uses the Welch–Satterthwaite degrees of freedom.
    """
    alpha = check_alpha(alpha)
    pair = mean_summaries([control, variant])
    return _welch(pair[0], pair[1], alpha)


def pairwise_means(variants: Sequence[RawVariant], *, control: str | None = None,
                   alpha: float = 0.05) -> tuple[Comparison, ...]:
    """Welch's t-test of every variant against the control (unadjusted p-values)."""
    alpha = check_alpha(alpha)
    summaries = mean_summaries(variants)
    index = control_index([s.name for s in summaries], control)
    return tuple(_welch(summaries[index], s, alpha)
                 for i, s in enumerate(summaries) if i != index)
