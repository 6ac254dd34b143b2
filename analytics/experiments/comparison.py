"""The variant-versus-control result shared by the proportion, mean and ratio tests."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from analytics.experiments.summaries import Interval


@dataclass(frozen=True)
class Comparison:
    """One variant against the control on one metric; ``difference = variant − control``.

    ``standard_error`` is the unpooled standard error of the difference (used for the
    interval); ``statistic`` and ``p_value`` come from the named ``test``. ``df`` is the
    interval's degrees of freedom (``inf`` for normal intervals). The relative lift is
    ``variant / control − 1`` with a delta-method interval; it is None when the control
    value is 0. ``*_variance`` are the variances of each arm's estimate (SE²).
    """

    control: str
    variant: str
    control_value: float
    variant_value: float
    control_variance: float
    variant_variance: float
    difference: float
    standard_error: float
    df: float
    interval: Interval
    relative_lift: float | None
    lift_standard_error: float | None
    lift_interval: Interval | None
    statistic: float
    p_value: float
    alpha: float
    test: str

    def interval_at(self, alpha: float) -> Interval:
        """The interval of the difference at another level (e.g. a corrected alpha)."""
        return difference_interval(self.difference, self.standard_error, alpha, self.df)

    def lift_interval_at(self, alpha: float) -> Interval | None:
        """The interval of the relative lift at another level."""
        if self.relative_lift is None or self.lift_standard_error is None:
            return None
        return difference_interval(self.relative_lift, self.lift_standard_error, alpha)


def critical_value(alpha: float, df: float = math.inf) -> float:
    """Two-sided critical value: normal when ``df`` is infinite, else Student t."""
    if math.isinf(df):
        return float(stats.norm.isf(alpha / 2))
    return float(stats.t.isf(alpha / 2, df))


def two_sided_p(statistic: float, df: float = math.inf) -> float:
    """Two-sided p-value of a z (``df`` infinite) or t statistic."""
    if math.isinf(df):
        return min(1.0, float(2 * stats.norm.sf(abs(statistic))))
    return min(1.0, float(2 * stats.t.sf(abs(statistic), df)))


def difference_interval(estimate: float, standard_error: float, alpha: float,
                        df: float = math.inf) -> Interval:
    """``estimate ± critical · standard_error`` at two-sided level ``alpha``."""
    half = critical_value(alpha, df) * standard_error
    return Interval(estimate - half, estimate + half)


def relative_lift(control_value: float, variant_value: float, control_variance: float,
                  variant_variance: float) -> tuple[float | None, float | None]:
    """Lift ``variant / control − 1`` and its delta-method standard error.

    Var(B/A) ≈ Var(B)/A² + B²·Var(A)/A⁴ for independent arms (first-order Taylor
    expansion of B/A around the means); None when the control value is 0 (or so close
    to 0 that the lift is not a finite number).
    """
    squared = control_value * control_value
    # Var(B/A) written as (Var(B) + r²·Var(A)) / A² with r = B/A, so a tiny control
    # does not underflow A⁴; a control too close to 0 for a finite lift gives None.
    if squared == 0:
        return None, None
    ratio = variant_value / control_value
    variance = (variant_variance + ratio * ratio * control_variance) / squared
    if not math.isfinite(variance):
        return None, None
    return ratio - 1, math.sqrt(variance)


def build_comparison(*, control: str, variant: str, control_value: float,
                     variant_value: float, control_variance: float, variant_variance: float,
                     statistic: float, p_value: float, df: float, alpha: float,
                     test: str) -> Comparison:
    """Assemble a Comparison, computing the intervals and the lift in one place."""
    difference = variant_value - control_value
    standard_error = math.sqrt(control_variance + variant_variance)
    lift, lift_se = relative_lift(control_value, variant_value, control_variance,
                                  variant_variance)
    lift_interval = None
    if lift is not None and lift_se is not None:
        # The delta method is asymptotic, so the lift interval is normal even for t tests.
        lift_interval = difference_interval(lift, lift_se, alpha)
    return Comparison(
        control=control, variant=variant, control_value=control_value,
        variant_value=variant_value, control_variance=control_variance,
        variant_variance=variant_variance, difference=difference,
        standard_error=standard_error, df=df,
        interval=difference_interval(difference, standard_error, alpha, df),
        relative_lift=lift, lift_standard_error=lift_se, lift_interval=lift_interval,
        statistic=statistic, p_value=p_value, alpha=alpha, test=test,
    )
