from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from analytics.experiments import (
    ProportionSummary,
    adjust_comparisons,
    adjust_p_values,
    proportions_test,
)

FAMILIES = [
    [0.01, 0.04, 0.03, 0.20],
    [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205],
    [0.02, 0.02, 0.02],
    [0.5],
    [0.0, 1.0, 0.3],
]
# name, n, conversions
VARIANTS = [
    ("A", 8_000, 400),
    ("B", 8_000, 470),
    ("C", 8_000, 415),
    ("D", 8_000, 480),
]


@pytest.mark.parametrize("p_values", FAMILIES)
@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_matches_statsmodels(p_values, ours, theirs):
    rejected, adjusted, _, _ = multipletests(p_values, alpha=0.05, method=theirs)
    result = adjust_p_values(p_values, method=ours, alpha=0.05)
    np.testing.assert_allclose(result.adjusted, adjusted, atol=1e-6)
    assert result.rejected == tuple(bool(r) for r in rejected)


def test_golden_values_and_interval_levels():
    holm = adjust_p_values([0.01, 0.04, 0.03, 0.20], method="holm")
    assert holm.adjusted == (0.04, 0.09, 0.09, 0.2)
    assert holm.interval_alpha == 0.0125
    bh = adjust_p_values([0.01, 0.04, 0.03, 0.20], method="bh")
    assert tuple(round(p, 6) for p in bh.adjusted) == (0.04, 0.053333, 0.053333, 0.2)
    assert bh.rejected == (True, False, False, False)
    assert bh.interval_alpha == pytest.approx(0.05 * 1 / 4)
    many = adjust_p_values([0.001, 0.002, 0.003, 0.5], method="bh")
    assert many.interval_alpha == pytest.approx(0.05 * 3 / 4)
    none = adjust_p_values([0.01, 0.04], method="none")
    assert none.adjusted == (0.01, 0.04) and none.interval_alpha == 0.05


def test_adjusted_comparisons_widen_intervals():
    test = proportions_test([ProportionSummary(*row) for row in VARIANTS])
    adjusted = adjust_comparisons(test.comparisons, correction="holm")
    for a in adjusted:
        c = a.comparison
        assert a.interval_alpha == pytest.approx(0.05 / 3)
        assert a.interval.low < c.interval.low and a.interval.high > c.interval.high
        assert a.lift_interval.low < c.lift_interval.low
        assert a.adjusted_p_value >= c.p_value
    assert [round(a.adjusted_p_value, 6) for a in adjusted] == [0.029334, 0.58965, 0.016603]
    assert [a.rejected for a in adjusted] == [True, False, True]


def test_rejects_bad_input():
    with pytest.raises(ValueError, match=r"p_values\[1\]=1.5 is not a probability"):
        adjust_p_values([0.1, 1.5])
    with pytest.raises(ValueError, match="correction='bonferroni' is not supported"):
        adjust_p_values([0.1], method="bonferroni")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_properties(p_values):
    holm = adjust_p_values(p_values, method="holm")
    bh = adjust_p_values(p_values, method="bh")
    raw = np.array(p_values)
    assert np.all(np.array(holm.adjusted) >= raw - 1e-15)
    assert np.all(np.array(bh.adjusted) >= raw - 1e-15)
    assert np.all(np.array(bh.adjusted) <= np.array(holm.adjusted) + 1e-15)
    assert np.all(np.array(holm.adjusted) <= 1)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(np.array(holm.adjusted)[order]) >= -1e-15)
    assert sum(bh.rejected) >= sum(holm.rejected)
