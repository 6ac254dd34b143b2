from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.budget.reallocation import Safety, Standing, suggest

STANDINGS = [Standing("display", 1000.0, -30.0, -0.6), Standing("email", 400.0, 300.0, 1.5),
             Standing("social", 600.0, 80.0, 0.5), Standing("search", 1000.0, 20.0, -0.2)]


def test_golden_moves_from_critical_to_high_performers():
    rows = {s.category: s for s in suggest(STANDINGS, Safety())}
    # display may lose 500 (keeps 50%); email may gain 200, social 300; cap 20% of 3000
    # = 600; so 500 moves: email gets 500*1.5/2 = 375 capped at 200, social the rest 300.
    assert rows["display"].change == pytest.approx(-500.0)
    assert rows["email"].change == pytest.approx(200.0)
    assert rows["social"].change == pytest.approx(300.0)
    assert rows["search"].change == 0.0 and rows["search"].reason == "unchanged"
    assert rows["display"].reason.startswith("critical: ROI -30.0%")


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="maxIncreaseRatio must be >= 1"):
        suggest(STANDINGS, Safety(max_increase_ratio=0.5))


standing = st.builds(Standing, category=st.sampled_from("abcdefg"), budget=st.floats(0, 1e5),
                     roi_percent=st.one_of(st.none(), st.floats(-100, 500)),
                     marginal_roi=st.one_of(st.none(), st.floats(-1, 5)))


@settings(max_examples=60, deadline=None)
@given(st.lists(standing, max_size=7, unique_by=lambda s: s.category),
       st.floats(1, 3), st.floats(0, 1), st.floats(0, 1))
def test_budget_neutral_within_safety_limits(rows, ratio, retained, moved):
    safety = Safety(max_increase_ratio=ratio, min_retained=retained, max_share_moved=moved)
    out = suggest(rows, safety)
    total = sum(r.budget for r in rows)
    assert sum(s.suggested for s in out) == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert sum(max(s.change, 0) for s in out) <= moved * total * (1 + 1e-9) + 1e-6
    for s in out:
        assert s.suggested <= s.current * ratio * (1 + 1e-9) + 1e-6
        assert s.suggested >= s.current * retained * (1 - 1e-9) - 1e-6
