from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.experiments import MeanSummary, ProportionSummary, RatioSummary
from analytics.experiments.validation import (
    check_alpha,
    control_index,
    mean_summaries,
    proportion_summaries,
    ratio_summaries,
)


@pytest.mark.parametrize(("raw", "message"), [
    ("AB", "variants must be a list of variant summaries, got str"),
    ([{"name": "", "n": 1, "conversions": 0}, {"name": "B", "n": 1, "conversions": 0}],
     "variants[0].name='' is not a name: give each variant a non-empty string name"),
    ([{"name": "A", "n": 0, "conversions": 0}, {"name": "B", "n": 1, "conversions": 0}],
     "variants[0].n=0 for variant 'A' is below 1: n must be at least 1"),
    ([{"name": "A", "n": True, "conversions": 0}, {"name": "B", "n": 1, "conversions": 0}],
     "variants[0].n=True for variant 'A' is not a whole number"),
])
def test_proportion_messages(raw, message):
    with pytest.raises(ValueError) as error:
        proportion_summaries(raw)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(("raw", "message"), [
    ([{"name": "A", "n": 5, "sum": 10.0, "sum_squares": 1.0}, MeanSummary("B", 5, 1.0, 1.0)],
     "variants[0].sum_squares=1.0 is below sum²/n=20.0 for variant 'A': sum_squares must be "
     "the sum of each recipient's value squared"),
    ([{"name": "A", "n": 5, "sum": float("nan"), "sum_squares": 1.0},
      MeanSummary("B", 5, 1.0, 1.0)],
     "variants[0].sum=nan for variant 'A' is not a finite number"),
    ([MeanSummary("A", 1, 1.0, 1.0), MeanSummary("B", 5, 1.0, 1.0)],
     "variants[0].n=1 for variant 'A' is below 2: n must be at least 2"),
])
def test_mean_messages(raw, message):
    with pytest.raises(ValueError) as error:
        mean_summaries(raw)
    assert str(error.value).startswith(message)


def test_ratio_messages():
    good = RatioSummary("A", 3, 1.0, 3.0, 1.0, 3.0, 1.0)
    with pytest.raises(ValueError, match="variants\\[1\\].sum_y=0.0 for variant 'B' is not "
                                         "positive"):
        ratio_summaries([good, RatioSummary("B", 3, 0.0, 0.0, 0.0, 0.0, 0.0)])
    with pytest.raises(ValueError, match="variants\\[1\\].sum_x2=0.0 is below sum_x²/n"):
        ratio_summaries([good, RatioSummary("B", 3, 3.0, 3.0, 0.0, 3.0, 3.0)])


def test_control_and_alpha():
    assert control_index(["A", "B"], None) == 0
    assert control_index(["A", "B"], "B") == 1
    with pytest.raises(ValueError, match="alpha=0 is not a probability"):
        check_alpha(0)


@st.composite
def raw_variants(draw):
    rows = []
    for index in range(draw(st.integers(2, 5))):
        n = draw(st.integers(1, 10**7))
        rows.append({"name": f"v{index}", "n": n, "conversions": draw(st.integers(0, n))})
    return rows


@settings(max_examples=200, deadline=None)
@given(raw_variants())
def test_properties(rows):
    parsed = proportion_summaries(rows)
    assert parsed == tuple(ProportionSummary(r["name"], r["n"], r["conversions"]) for r in rows)
    assert proportion_summaries(parsed) == parsed
