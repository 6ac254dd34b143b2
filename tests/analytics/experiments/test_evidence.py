from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.experiments import (
    ProportionSummary,
    adjust_comparisons,
    bayesian_proportions,
    evidence_from_bayesian,
    evidence_from_fixed,
    evidence_from_sequential,
    proportions_test,
    sequential_test,
)

# name, n, conversions
VARIANTS = [
    ("A", 10_000, 500),
    ("B", 10_050, 590),
    ("C", 9_990, 520),
]


def summaries(rows=VARIANTS):
    return [ProportionSummary(*row) for row in rows]


def test_fixed_evidence_carries_the_adjusted_numbers():
    adjusted = adjust_comparisons(proportions_test(summaries()).comparisons, correction="holm")
    metric = evidence_from_fixed("conversion rate", "proportion", adjusted)
    assert (metric.control, metric.method, metric.interval_level) == ("A", "fixed", 0.975)
    b, c = metric.evidence
    assert (b.significant, c.significant) == (True, False)
    assert b.p_value == adjusted[0].adjusted_p_value
    assert b.difference_interval == adjusted[0].interval


def test_sequential_lift_interval_is_the_difference_interval_on_the_lift_scale():
    variants = summaries()
    result = sequential_test([variants])
    final = proportions_test(variants).comparisons
    metric = evidence_from_sequential("conversion rate", "proportion", result, final)
    b = metric.evidence[0]
    scale = final[0].lift_standard_error / final[0].standard_error
    assert b.lift_interval.low == pytest.approx(
        final[0].relative_lift + (b.difference_interval.low - b.difference) * scale)
    assert b.difference_interval == result.final.comparisons[0].interval
    assert b.p_value == result.final.comparisons[0].adjusted_p_value


def test_bayesian_significance_is_the_credible_interval_excluding_zero():
    result = bayesian_proportions(summaries(), credible_level=0.95, draws=50_000)
    metric = evidence_from_bayesian("conversion rate", result)
    b, c = metric.evidence
    assert (b.significant, c.significant) == (True, False)
    assert b.probability_better == result.variants[1].probability_beats_control
    assert b.p_value is None and metric.interval_level == 0.95


@st.composite
def experiments(draw):
    rows = []
    for name in ("A", "B", "C")[: draw(st.integers(2, 3))]:
        n = draw(st.integers(1, 50_000))
        rows.append((name, n, draw(st.integers(0, n))))
    return rows


@settings(max_examples=100, deadline=None)
@given(experiments(), st.sampled_from(["holm", "bh", "none"]))
def test_properties(rows, correction):
    adjusted = adjust_comparisons(proportions_test(summaries(rows)).comparisons,
                                  correction=correction)
    metric = evidence_from_fixed("rate", "proportion", adjusted)
    for e in metric.evidence:
        assert e.significant == (e.p_value <= 0.05)
        assert e.difference_interval.contains(e.difference)
