from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.budget.acquisition import SegmentEconomics, acquisition_budget

ROWS = [SegmentEconomics("vip", clv=600.0, acquisition_spend=5000.0, new_customers=50),
        SegmentEconomics("casual", clv=120.0, acquisition_spend=6000.0, new_customers=100),
        SegmentEconomics("bargain", clv=40.0, acquisition_spend=3000.0, new_customers=50),
        SegmentEconomics("new", clv=100.0, acquisition_spend=0.0, new_customers=0)]


def test_golden_ratios_payback_and_verdicts():
    rows = {r.segment: r for r in acquisition_budget(ROWS)}
    vip = rows["vip"]
    # CAC 100, CLV:CAC 6, payback 100 / (600 / 24) = 4 months; 6/3 - 1 = 1 -> capped 30 %
    assert (vip.cac, vip.clv_cac, vip.payback_months) == (100.0, 6.0, 4.0)
    assert (vip.recommendation, vip.change, vip.suggested_spend) == ("increase", 0.3, 6500.0)
    casual = rows["casual"]  # CAC 60, ratio 2, payback 60 / 5 = 12 months
    assert (casual.clv_cac, casual.payback_months, casual.recommendation) == (
        2.0, 12.0, "maintain")
    bargain = rows["bargain"]  # CAC 60, ratio 0.667
    assert bargain.recommendation == "decrease" and bargain.suggested_spend == 2100.0
    assert rows["new"].cac is None and rows["new"].recommendation == "maintain"
    assert list(rows) == ["bargain", "casual", "new", "vip"]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="targetRatio must be > 1"):
        acquisition_budget(ROWS, target_ratio=1.0)
    with pytest.raises(ValueError, match=r"segments\[0\] \(x\)"):
        acquisition_budget([SegmentEconomics("x", -1.0, 1.0, 1)])


@given(st.floats(0, 1e4), st.floats(1, 1e6), st.integers(1, 10_000), st.floats(0, 1))
def test_changes_stay_within_the_limit_and_follow_the_ratio(clv, spend, customers, limit):
    (row,) = acquisition_budget([SegmentEconomics("s", clv, spend, customers)],
                                max_change=limit)
    assert -limit - 1e-12 <= row.change <= limit + 1e-12
    assert (row.change > 0) <= (row.clv_cac >= 3.0)
    assert (row.change < 0) == (row.clv_cac < 1 and limit > 0)
