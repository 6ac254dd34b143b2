from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.experiments import MeanSummary, ProportionSummary, analyze_experiment
from analytics.experiments.verdicts import STATUSES

# name, n, conversions
VARIANTS = [
    {"name": "A", "n": 10_000, "conversions": 500},
    {"name": "B", "n": 10_050, "conversions": 590},
    {"name": "C", "n": 9_990, "conversions": 520},
]
# name, n, conversions (unsubscribes)
UNSUBSCRIBES = [
    {"name": "A", "n": 10_000, "conversions": 30},
    {"name": "B", "n": 10_050, "conversions": 35},
    {"name": "C", "n": 9_990, "conversions": 60},
]
# Cumulative looks: control n, control conversions, variant n, variant conversions
LOOKS = [
    (1_500, 64, 1_500, 94),
    (3_000, 136, 3_000, 195),
    (4_500, 208, 4_500, 281),
]
# name, n, sum, sum_squares (revenue per recipient)
REVENUE = [
    ("A", 400, 1194.084217680505, 113013.82242210816),
    ("B", 450, 3017.7644242842807, 456489.66751112),
]


def looks():
    return [[{"name": "A", "n": n_a, "conversions": c_a},
             {"name": "B", "n": n_b, "conversions": c_b}] for n_a, c_a, n_b, c_b in LOOKS]


def test_fixed_horizon_end_to_end():
    result = analyze_experiment(VARIANTS, guardrails={"unsubscribe rate": UNSUBSCRIBES},
                                minimum_effect=0.01)
    assert result.control == "A" and result.method == "fixed"
    assert [round(c.adjusted_p_value, 6) for c in result.comparisons] == [0.013111, 0.509741]
    assert round(result.chi_square.p_value, 6) == 0.016626
    assert result.srm.mismatch is False
    assert result.sequential is None and result.bayesian is None and result.peeking is None
    assert (result.verdict.status, result.verdict.winner) == ("winner", "B")
    assert "Guardrail unsubscribe rate: 'C' is significantly worse (p = 0.00301)" in (
        result.verdict.rules)


def test_sequential_with_looks_warns_about_peeking():
    final = looks()[-1]
    result = analyze_experiment(final, method="sequential", looks=looks())
    assert result.sequential.stopped_at == 2
    assert result.peeking.first_naive_rejection == 0
    assert result.comparisons is None
    assert result.primary.evidence[0].significant
    assert result.verdict.status == "winner"


def test_sequential_without_looks_uses_the_totals_as_one_look():
    result = analyze_experiment(VARIANTS, method="sequential")
    assert len(result.sequential.looks) == 1 and result.peeking is None
    assert result.primary.interval_level == 0.975


def test_bayesian():
    result = analyze_experiment(VARIANTS, method="bayesian", seed=1, draws=20_000)
    b = next(v for v in result.bayesian.variants if v.name == "B")
    assert round(b.exact_probability_beats_control, 6) == 0.996723
    assert result.primary.interval_level == 0.95
    assert result.verdict.winner == "B"


def test_means():
    result = analyze_experiment([MeanSummary(*row) for row in REVENUE], metric="mean",
                                metric_name="revenue per recipient")
    assert round(result.comparisons[0].comparison.p_value, 6) == 0.027704
    assert result.verdict.recommendation.startswith(
        "Roll out 'B': revenue per recipient 6.706 for 'B' vs 2.985 for control 'A'")


def test_srm_uses_the_planned_weights():
    skewed = [ProportionSummary("A", 9_000, 450), ProportionSummary("B", 3_000, 180)]
    assert analyze_experiment(skewed).verdict.status == "srm_invalid"
    planned = analyze_experiment(skewed, weights=[3, 1])
    assert planned.srm.mismatch is False and planned.verdict.status == "winner"


@pytest.mark.parametrize(("variants", "kwargs", "message"), [
    ([{"name": "A", "n": 100, "conversions": 5}, {"name": "B", "n": 100, "conversions": 120}],
     {}, "variants[1].conversions=120 exceeds n=100 for variant 'B': conversions must be "
         "between 0 and n"),
    ([{"name": "A", "n": 100, "conversions": 5}, {"name": "B", "n": 100, "conversions": -1}],
     {}, "variants[1].conversions=-1 for variant 'B' is below 0: conversions must be at least 0"),
    ([{"name": "A", "n": 100, "conversions": 5}, {"name": "A", "n": 100, "conversions": 1}],
     {}, "variants[1].name='A' repeats an earlier variant: give every variant a distinct name"),
    ([{"name": "A", "n": 100, "conversions": 5}], {},
     "variants has 1 variant(s): give at least 2 (the control first, then each treatment)"),
    ([{"name": "A", "n": 10.5, "conversions": 5}, {"name": "B", "n": 10, "conversions": 1}], {},
     "variants[0].n=10.5 for variant 'A' is not a whole number: n must be an integer count"),
    ([{"name": "A", "n": 100}, {"name": "B", "n": 100, "conversions": 1}], {},
     "variants[0] has no 'conversions' for variant 'A': add 'conversions'"),
    (VARIANTS, {"method": "bayes"},
     "method='bayes' is not supported: use one of 'fixed', 'sequential', 'bayesian'"),
    (VARIANTS, {"metric": "mean", "method": "bayesian"},
     "method='bayesian' supports metric='proportion' only"),
    (VARIANTS, {"control": "Z"}, "control='Z' is not a variant: use one of 'A', 'B', 'C'"),
    (VARIANTS, {"alpha": 5}, "alpha=5 is not a probability"),
    (VARIANTS, {"weights": [1, 1]},
     "weights has 2 entries but there are 3 variants: give one planned weight per variant"),
    (VARIANTS, {"guardrails": {"unsubscribe rate": UNSUBSCRIBES[:2]}},
     "guardrails['unsubscribe rate'] lists variants ['A', 'B'] but variants lists"),
    (VARIANTS[:2], {"method": "sequential", "looks": looks()},
     "looks[-1] differs from variants: the last look must be the current totals"),
])
def test_validation_messages_name_field_variant_and_fix(variants, kwargs, message):
    with pytest.raises(ValueError) as error:
        analyze_experiment(variants, **kwargs)
    assert str(error.value).startswith(message)


@st.composite
def experiments(draw):
    rows = []
    for name in ("A", "B", "C")[: draw(st.integers(2, 3))]:
        n = draw(st.integers(2, 50_000))
        rows.append({"name": name, "n": n, "conversions": draw(st.integers(0, n))})
    return rows


@settings(max_examples=40, deadline=None)
@given(experiments(), st.sampled_from(["fixed", "sequential", "bayesian"]),
       st.sampled_from(["holm", "bh", "none"]), st.floats(0, 0.1))
def test_properties(variants, method, correction, mpe):
    result = analyze_experiment(variants, method=method, correction=correction,
                                minimum_effect=mpe, draws=2_000)
    assert result.verdict.status in STATUSES
    if result.srm.mismatch:
        assert result.verdict.status == "srm_invalid"
    for e in result.primary.evidence:
        assert e.difference_interval.low <= e.difference_interval.high
        if e.p_value is not None:
            assert 0 <= e.p_value <= 1
