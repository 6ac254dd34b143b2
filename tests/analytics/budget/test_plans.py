from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.budget.plans import Thresholds, alerts, plan_status


def test_golden_burn_rate_and_projection():
    status = plan_status("email", allocated=1000.0, spent=600.0, elapsed=0.4)
    assert status.burn_rate == pytest.approx(1.5)
    assert status.projected == pytest.approx(1500.0)
    assert status.projected_overspend == pytest.approx(500.0)
    assert status.remaining == 400.0


def test_alerts_for_burn_roi_and_cpa():
    statuses = [plan_status("email", 1000.0, 600.0, 0.4), plan_status("social", 1000.0,
                                                                       300.0, 0.5)]
    found = alerts(statuses, [("email", 120.0, 30.0), ("social", -20.0, 80.0)],
                   Thresholds(low_roi_percent=0.0, high_burn_rate=1.2, high_cpa=50.0))
    assert [(a.kind, a.category) for a in found] == [
        ("high_burn_rate", "email"), ("high_cpa", "social"), ("low_roi", "social")]
    assert "ends at 1,500.00, 500.00 over" in found[0].message


def test_elapsed_must_be_part_of_the_month():
    with pytest.raises(ValueError, match="elapsed must be in"):
        plan_status("x", 1.0, 1.0, 0.0)


@given(st.floats(1, 1e6), st.floats(0, 1e6), st.floats(0.01, 1))
def test_on_pace_spend_never_alerts(allocated, fraction, elapsed):
    spent = allocated * elapsed * min(fraction / 1e6, 1.0)
    status = plan_status("x", allocated, spent, elapsed)
    assert status.burn_rate <= 1 + 1e-9
    assert alerts([status], [], Thresholds()) == []
