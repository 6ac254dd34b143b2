from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.experiments import (
    Evidence,
    Interval,
    MetricEvidence,
    decide,
    sample_ratio_mismatch,
)
from analytics.experiments.verdicts import STATUSES

# variant, control value, variant value, difference interval, lift, significant, adjusted p
PRIMARY = [
    ("B", 0.0500, 0.0587, (0.00153, 0.01588), 0.174, True, 0.0131),
    ("C", 0.0500, 0.0521, (-0.00492, 0.00903), 0.041, False, 0.5097),
]
# variant, control value, variant value, difference interval, significant, adjusted p
UNSUBSCRIBES = [
    ("B", 0.0030, 0.0035, (-0.0008, 0.0018), False, 0.41),
    ("C", 0.0030, 0.0060, (0.0009, 0.0051), True, 0.003),
]
GOOD_SPLIT = sample_ratio_mismatch([10_000, 10_050, 9_990], names=["A", "B", "C"])
BAD_SPLIT = sample_ratio_mismatch([10_000, 9_000, 10_000], names=["A", "B", "C"])


def evidence(variant, control_value, variant_value, interval, lift, significant, p):
    return Evidence(
        variant=variant, control_value=control_value, variant_value=variant_value,
        difference=variant_value - control_value, difference_interval=Interval(*interval),
        relative_lift=lift, lift_interval=None, significant=significant, p_value=p,
        probability_better=None)


def metric(rows, *, name="conversion rate", higher_is_better=True, level=0.975):
    return MetricEvidence(metric=name, kind="proportion", method="fixed", control="A",
                          higher_is_better=higher_is_better, interval_level=level,
                          evidence=tuple(evidence(*row) for row in rows))


def guardrail(rows):
    full = [(v, c, x, interval, x / c - 1, s, p) for v, c, x, interval, s, p in rows]
    return metric(full, name="unsubscribe rate", higher_is_better=False)


def test_winner_names_the_numbers():
    verdict = decide(metric(PRIMARY), guardrails=[guardrail(UNSUBSCRIBES[:1])],
                     srm=GOOD_SPLIT, minimum_effect=0.01)
    assert (verdict.status, verdict.winner) == ("winner", "B")
    assert verdict.recommendation == (
        "Roll out 'B': conversion rate 5.87% for 'B' vs 5.00% for control 'A' (lift +17.4%), "
        "change +0.87 pp (97.5% interval +0.15 pp to +1.59 pp, p = 0.0131), which clears the "
        "minimum practical effect of 1.0% (0.05 pp here).")
    assert verdict.rules[0].startswith("SRM: p = 0.902 ≥ 0.001, split 10,000 / 10,050 / 9,990")
    assert "Guardrails: no variant is significantly worse on unsubscribe rate" in verdict.rules


def test_srm_blocks_any_winner():
    verdict = decide(metric(PRIMARY), srm=BAD_SPLIT, minimum_effect=0.01)
    assert (verdict.status, verdict.winner) == ("srm_invalid", None)
    assert verdict.recommendation.startswith(
        "Do not read these results: the observed split 10,000 / 9,000 / 10,000 does not match "
        "the planned 33% / 33% / 33% (SRM p = ")


def test_interval_must_clear_the_minimum_practical_effect():
    verdict = decide(metric(PRIMARY), srm=GOOD_SPLIT, minimum_effect=0.05)
    assert verdict.status == "keep_running"
    assert verdict.recommendation == (
        "Keep running: conversion rate 5.87% for 'B' vs 5.00% for control 'A' (lift +17.4%), "
        "change +0.87 pp (97.5% interval +0.15 pp to +1.59 pp, p = 0.0131), not yet enough to "
        "clear the minimum practical effect of 5.0% (0.25 pp here).")


def test_a_harmful_winner_is_a_guardrail_violation():
    rows = [("B", 0.0030, 0.0060, (0.0009, 0.0051), True, 0.003)]
    verdict = decide(metric(PRIMARY[:1]), guardrails=[guardrail(rows)], minimum_effect=0.01)
    assert (verdict.status, verdict.winner) == ("guardrail_violated", None)
    assert verdict.recommendation.startswith(
        "Stop 'B': unsubscribe rate 0.60% for 'B' vs 0.30% for control 'A' (lift +100.0%), "
        "change +0.30 pp (97.5% interval +0.09 pp to +0.51 pp, p = 0.003), significantly worse "
        "on a guardrail.")


def test_another_variant_harming_a_guardrail_does_not_block_a_clean_winner():
    verdict = decide(metric(PRIMARY), guardrails=[guardrail(UNSUBSCRIBES)],
                     minimum_effect=0.01)
    assert (verdict.status, verdict.winner) == ("winner", "B")
    assert "Guardrail unsubscribe rate: 'C' is significantly worse (p = 0.003)" in verdict.rules


def test_practically_equivalent_variants_mean_no_difference():
    rows = [("B", 0.05, 0.0501, (-0.0004, 0.0006), 0.002, False, 0.7)]
    verdict = decide(metric(rows), minimum_effect=0.02)
    assert verdict.status == "no_difference"
    assert verdict.recommendation.endswith("every interval lies within ±2.0% (0.10 pp here).")
    assert decide(metric(rows), minimum_effect=0.01).status == "keep_running"
    assert decide(metric(rows), minimum_effect=0.01,
                  horizon_reached=True).status == "no_difference"


def test_lower_is_better_and_absolute_scale():
    rows = [("B", 0.010, 0.007, (-0.005, -0.001), -0.3, True, 0.001)]
    lower = metric(rows, name="complaint rate", higher_is_better=False)
    assert decide(lower, minimum_effect=0.1).winner == "B"
    assert decide(lower, minimum_effect=0.2).status == "keep_running"
    assert decide(lower, minimum_effect=0.0015, effect_scale="absolute").status == (
        "keep_running")
    assert decide(lower, minimum_effect=0.0009, effect_scale="absolute").winner == "B"


def test_rejects_bad_settings():
    with pytest.raises(ValueError, match="minimum_effect=-0.1 is negative"):
        decide(metric(PRIMARY), minimum_effect=-0.1)
    with pytest.raises(ValueError, match="effect_scale='log' is not supported"):
        decide(metric(PRIMARY), effect_scale="log")


rows = st.tuples(st.sampled_from(["B", "C", "D"]), st.floats(0.01, 0.2), st.floats(0.01, 0.2),
                 st.floats(0, 0.05), st.floats(0, 0.05), st.booleans(), st.floats(0, 1))


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, min_size=1, max_size=3, unique_by=lambda r: r[0]), st.floats(0, 0.2),
       st.booleans())
def test_properties(raw, mpe, broken):
    built = [(v, c, x, (x - c - below, x - c + above), x / c - 1, s, p)
             for v, c, x, below, above, s, p in raw]
    verdict = decide(metric(built), srm=BAD_SPLIT if broken else GOOD_SPLIT, minimum_effect=mpe)
    assert verdict.status in STATUSES
    assert (verdict.winner is not None) == (verdict.status == "winner")
    if broken:
        assert verdict.status == "srm_invalid"
    if verdict.winner is not None:
        chosen = next(e for e in metric(built).evidence if e.variant == verdict.winner)
        assert chosen.significant
        assert chosen.difference_interval.low >= mpe * chosen.control_value
