from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from analytics.experiments import sample_ratio_mismatch

# observed recipients per variant, planned weights
CASES = [
    ([5_000, 5_050], [1, 1]),
    ([5_210, 4_790], [0.5, 0.5]),
    ([10_020, 4_980, 5_000], [2, 1, 1]),
    ([800, 1_000, 1_200], [1, 1, 1]),
]


@pytest.mark.parametrize(("counts", "weights"), CASES)
def test_matches_scipy_chisquare(counts, weights):
    total = sum(counts)
    expected = [total * w / sum(weights) for w in weights]
    statistic, p_value = chisquare(counts, expected)
    result = sample_ratio_mismatch(counts, weights)
    assert result.statistic == pytest.approx(statistic, abs=1e-6)
    assert result.p_value == pytest.approx(p_value, abs=1e-6)
    assert result.df == len(counts) - 1


def test_golden_values_and_flag():
    fine = sample_ratio_mismatch([5_000, 5_050], names=["A", "B"])
    assert (round(fine.statistic, 6), round(fine.p_value, 6)) == (0.248756, 0.617952)
    assert fine.mismatch is False and fine.names == ("A", "B")
    broken = sample_ratio_mismatch([5_210, 4_790], [0.5, 0.5])
    assert (round(broken.statistic, 4), round(broken.p_value, 6)) == (17.64, 0.000027)
    assert broken.mismatch is True
    assert sample_ratio_mismatch([5_210, 4_790], threshold=0.00001).mismatch is False


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"counts": [10, -1]}, "counts[1]=-1 for variant 'variant 1' is not a recipient count"),
    ({"counts": [10, 10], "weights": [1, 0]}, "weights[1]=0 for variant 'variant 1'"),
    ({"counts": [10, 10], "weights": [1]}, "weights has 1 entries but there are 2 variants"),
    ({"counts": [0, 0]}, "counts are all 0"),
    ({"counts": [5, 5], "threshold": 2}, "threshold=2 is not a probability"),
])
def test_validation(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        sample_ratio_mismatch(**kwargs)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 100_000), min_size=2, max_size=6).filter(lambda c: sum(c) > 0),
       st.floats(0.1, 10))
def test_properties(counts, scale):
    result = sample_ratio_mismatch(counts)
    assert 0 <= result.p_value <= 1
    assert result.mismatch == (result.p_value < result.threshold)
    assert sum(result.expected) == pytest.approx(sum(counts))
    scaled = sample_ratio_mismatch(counts, [scale] * len(counts))
    assert scaled.p_value == pytest.approx(result.p_value, abs=1e-12)
