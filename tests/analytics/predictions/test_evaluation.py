from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions.evaluation import (
    CalibrationBin,
    average_precision,
    brier,
    calibration_bins,
    classification_metrics,
    expected_calibration_error,
    log_loss,
    roc_auc,
)

Y = [1, 0, 1, 1, 0, 0, 1, 0]
P = [0.9, 0.8, 0.7, 0.6, 0.3, 0.3, 0.2, 0.1]


def test_golden_values():
    metrics = classification_metrics(Y, P, bins=2)

    # Positive-negative pairs ranked right: 4 + 3 + 3 + 1 of 16.
    assert round(metrics.auc, 6) == 0.6875
    assert round(metrics.pr_auc, 6) == round((1 / 1 + 2 / 3 + 3 / 4 + 4 / 7) / 4, 6)
    assert round(metrics.log_loss, 6) == 0.626306
    assert round(metrics.brier, 6) == 0.21625
    assert metrics.calibration == (
        CalibrationBin(0.0, 0.5, 4, 0.225, 0.25),
        CalibrationBin(0.5, 1.0, 4, pytest.approx(0.75), 0.75))
    assert round(metrics.ece, 6) == 0.0125
    assert (metrics.count, metrics.positive_rate) == (8, 0.5)


def test_edges():
    assert roc_auc([1, 1], [0.2, 0.4]) == 0.5
    assert average_precision([0, 0], [0.2, 0.4]) == 0.0
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    assert log_loss([1], [1.0]) == pytest.approx(0.0, abs=1e-12)
    assert math.isfinite(log_loss([1], [0.0]))
    assert expected_calibration_error(()) == 0.0
    with pytest.raises(ValueError, match="outcomes must be 0 or 1"):
        brier([2], [0.5])
    with pytest.raises(ValueError, match="predictions must be probabilities in"):
        brier([1], [1.5])
    with pytest.raises(ValueError, match="the holdout is empty"):
        roc_auc([], [])


cases = st.integers(2, 60).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.floats(0, 1), min_size=n, max_size=n)))


@settings(max_examples=60, deadline=None)
@given(cases)
def test_auc_is_the_share_of_correctly_ordered_pairs(case):
    y, p = (np.asarray(v, dtype=float) for v in case)
    pos, neg = p[y == 1], p[y == 0]
    auc = roc_auc(y, p)
    if pos.size and neg.size:
        pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
        assert auc == pytest.approx(pairs)
        assert roc_auc(1 - y, p) == pytest.approx(1 - auc)
    assert 0 <= average_precision(y, p) <= 1
    bins = calibration_bins(y, p)
    assert sum(b.count for b in bins) == y.size
    assert 0 <= expected_calibration_error(bins) <= 1
    assert 0 <= brier(y, p) <= 1
