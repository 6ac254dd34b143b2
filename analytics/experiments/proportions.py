"""Rates (open, click, conversion, unsubscribe): z-tests and the A/B/n chi-square test."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from analytics.experiments.comparison import Comparison, build_comparison, two_sided_p
from analytics.experiments.summaries import ProportionSummary
from analytics.experiments.validation import (
    RawVariant,
    check_alpha,
    control_index,
    proportion_summaries,
)


@dataclass(frozen=True)
class ChiSquareTest:
    """Chi-square test of independence of variant and outcome (no continuity correction).

    ``expected`` holds, per variant, the expected (conversions, non-conversions).
    """

    statistic: float
    df: int
    p_value: float
    expected: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ProportionsTest:
    """A/B/n rates: the omnibus chi-square test plus every variant against the control."""

    control: str
    chi_square: ChiSquareTest
    comparisons: tuple[Comparison, ...]


def _z_test(control: ProportionSummary, variant: ProportionSummary, alpha: float) -> Comparison:
    p_control, p_variant = control.rate, variant.rate
    pooled = (control.conversions + variant.conversions) / (control.n + variant.n)
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / variant.n))
    # A zero pooled SE means both rates are 0 or both are 1: no evidence of a difference.
    statistic = (p_variant - p_control) / pooled_se if pooled_se > 0 else 0.0
    return build_comparison(
        control=control.name, variant=variant.name, control_value=p_control,
        variant_value=p_variant, control_variance=p_control * (1 - p_control) / control.n,
        variant_variance=p_variant * (1 - p_variant) / variant.n, statistic=statistic,
        p_value=two_sided_p(statistic), df=math.inf, alpha=alpha, test="z_pooled",
    )


def compare_proportions(control: RawVariant, variant: RawVariant, *,
                        alpha: float = 0.05) -> Comparison:
    """Two-proportion z-test of ``variant`` against ``control``.

    The test uses the pooled standard error (as statsmodels ``proportions_ztest``); the
    interval of the difference uses the unpooled one, because under the alternative the
    two rates differ and pooling would misstate the spread.
    """
    alpha = check_alpha(alpha)
    pair = proportion_summaries([control, variant], field="variants")
    return _z_test(pair[0], pair[1], alpha)


def chi_square_test(variants: Sequence[RawVariant]) -> ChiSquareTest:
    """Pearson chi-square test of a k × 2 table (variants × converted / not converted).

    Matches ``scipy.stats.chi2_contingency(table, correction=False)``; when nobody or
    everybody converted the table carries no evidence and the p-value is 1.
    """
    summaries = proportion_summaries(variants)
    total_n = sum(s.n for s in summaries)
    total_conversions = sum(s.conversions for s in summaries)
    share = total_conversions / total_n
    expected = tuple((s.n * share, s.n * (1 - share)) for s in summaries)
    df = len(summaries) - 1
    if total_conversions in (0, total_n):
        return ChiSquareTest(statistic=0.0, df=df, p_value=1.0, expected=expected)
    statistic = 0.0
    for summary, (e_yes, e_no) in zip(summaries, expected, strict=True):
        observed_no = summary.n - summary.conversions
        statistic += (summary.conversions - e_yes) ** 2 / e_yes + (observed_no - e_no) ** 2 / e_no
    return ChiSquareTest(statistic=statistic, df=df, p_value=float(stats.chi2.sf(statistic, df)),
                         expected=expected)


def proportions_test(variants: Sequence[RawVariant], *, control: str | None = None,
                     alpha: float = 0.05) -> ProportionsTest:
    """A/B/n test of a rate: chi-square across all variants and z-tests versus control.

    P-values here are unadjusted; pass ``comparisons`` to ``adjust_comparisons``.
    """
    alpha = check_alpha(alpha)
    summaries = proportion_summaries(variants)
    index = control_index([s.name for s in summaries], control)
    base = summaries[index]
    comparisons = tuple(_z_test(base, s, alpha) for i, s in enumerate(summaries) if i != index)
    return ProportionsTest(control=base.name, chi_square=chi_square_test(summaries),
                           comparisons=comparisons)
