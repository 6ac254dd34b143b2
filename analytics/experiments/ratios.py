"""Ratio metrics (click-to-open = clicks / opens) by the delta method.

Both the numerator and the denominator vary per recipient, so treating the ratio as a
simple proportion of opens understates its variance. With per-recipient means x̄, ȳ,
sample variances s_x², s_y², covariance s_xy and r = x̄ / ȳ, the first-order Taylor
expansion gives Var(r) ≈ (s_x² − 2·r·s_xy + r²·s_y²) / (n·ȳ²).
"""

from __future__ import annotations

import math

from analytics.experiments.comparison import Comparison, build_comparison, two_sided_p
from analytics.experiments.summaries import RatioSummary
from analytics.experiments.validation import RawVariant, check_alpha, ratio_summaries


def ratio_variance(summary: RatioSummary) -> float:
    """Delta-method variance of ``sum_x / sum_y`` for one variant."""
    n = summary.n
    mean_x = summary.sum_x / n
    mean_y = summary.sum_y / n
    var_x = (summary.sum_x2 - n * mean_x**2) / (n - 1)
    var_y = (summary.sum_y2 - n * mean_y**2) / (n - 1)
    cov_xy = (summary.sum_xy - n * mean_x * mean_y) / (n - 1)
    ratio = mean_x / mean_y
    variance = (var_x - 2 * ratio * cov_xy + ratio**2 * var_y) / (n * mean_y**2)
    # Exact cancellation (e.g. x proportional to y) can round a hair below zero.
    return max(0.0, variance)


def compare_ratios(control: RawVariant, variant: RawVariant, *,
                   alpha: float = 0.05) -> Comparison:
    """Delta-method z-test of a ratio metric, ``variant`` against ``control``.

    Each input gives n, sum_x, sum_y, sum_x2, sum_y2 and sum_xy. The Comparison holds
    each ratio (``control_value``/``variant_value``), its variance, the difference with
    its normal interval, z and the two-sided p-value.
    """
    alpha = check_alpha(alpha)
    base, other = ratio_summaries([control, variant])
    v_control, v_variant = ratio_variance(base), ratio_variance(other)
    difference = other.ratio - base.ratio
    se = math.sqrt(v_control + v_variant)
    if se > 0:
        statistic = difference / se
    else:
        statistic = 0.0 if difference == 0 else math.copysign(math.inf, difference)
    return build_comparison(
        control=base.name, variant=other.name, control_value=base.ratio,
        variant_value=other.ratio, control_variance=v_control, variant_variance=v_variant,
        statistic=statistic, p_value=two_sided_p(statistic), df=math.inf, alpha=alpha,
        test="delta_z",
    )
