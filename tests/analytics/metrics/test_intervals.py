from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analytics.metrics import wilson_interval

CASES = [(0, 1), (1, 1), (0, 10), (10, 10), (3, 7), (50, 100), (1, 10_000), (123_456, 999_999)]


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize(("successes", "trials"), CASES)
def test_matches_statsmodels_wilson(successes: int, trials: int, confidence: float) -> None:
    low, high = wilson_interval(successes, trials, confidence=confidence)
    want_low, want_high = proportion_confint(
        successes, trials, alpha=1 - confidence, method="wilson"
    )
    assert low == pytest.approx(want_low, abs=1e-9)
    assert high == pytest.approx(want_high, abs=1e-9)


def test_edges_are_exact() -> None:
    assert wilson_interval(0, 421, confidence=0.5)[0] == 0.0
    assert wilson_interval(421, 421, confidence=0.5)[1] == 1.0


def test_golden_values() -> None:
    low, high = wilson_interval(50, 100)
    assert (round(low, 9), round(high, 9)) == (0.40383153, 0.59616847)


@pytest.mark.parametrize(
    ("successes", "trials", "confidence", "message"),
    [
        (0, 0, 0.95, "trials must be positive"),
        (5, 4, 0.95, "successes must be between 0 and trials \\(4\\); got 5"),
        (-1, 4, 0.95, "successes must be between 0 and trials"),
        (1, 4, 1.0, "confidence must be between 0 and 1"),
    ],
)
def test_invalid_arguments(successes: int, trials: int, confidence: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wilson_interval(successes, trials, confidence=confidence)


@settings(database=None, max_examples=200, deadline=None)
@given(data=st.data(), trials=st.integers(1, 10**7), confidence=st.floats(0.5, 0.999))
def test_property_matches_statsmodels_and_contains_the_rate(
    data: st.DataObject, trials: int, confidence: float
) -> None:
    successes = data.draw(st.integers(0, trials))
    low, high = wilson_interval(successes, trials, confidence=confidence)
    want = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    assert (low, high) == pytest.approx(want, abs=1e-9)
    assert 0 <= low <= successes / trials <= high <= 1
