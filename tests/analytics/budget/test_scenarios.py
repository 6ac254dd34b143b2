from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.budget.curves import HillCurve
from analytics.budget.optimizer import Problem, Response
from analytics.budget.scenarios import PRESETS, Scenario, run_scenarios

RESPONSES = [Response(name, HillCurve(top, half, 1.0), 50.0) for name, top, half in (
    ("content", 3000.0, 500.0), ("testing", 2000.0, 300.0), ("paid_search", 6000.0, 900.0),
    ("social", 4000.0, 700.0), ("technology", 1500.0, 200.0))]


def test_presets_scale_the_budget_and_tilt_the_groups():
    results = {r.scenario.name: r for r in run_scenarios(RESPONSES, Problem(total=3000.0))}
    assert list(results) == [s.name for s in PRESETS]
    assert results["conservative"].total == pytest.approx(2700.0)
    assert results["aggressive_growth"].total == pytest.approx(3900.0)
    conservative = results["conservative"].plan
    assert max(line.share for line in conservative.lines) <= 0.30 + 1e-9
    content = results["content_focused"].plan.line("content")
    assert content.spend >= 0.35 * 3000.0 - 1e-6
    acquisition = results["acquisition_focused"].plan
    assert acquisition.line("paid_search").spend + acquisition.line("social").spend >= \
        0.6 * 3000.0 - 1e-6
    assert results["aggressive_growth"].plan.revenue > results["conservative"].plan.revenue


def test_a_focus_with_no_members_says_so_and_a_bad_scenario_carries_its_error():
    responses = [r for r in RESPONSES if r.category != "content"]
    custom = Scenario("too_tight", max_share=0.1)
    content, tight = run_scenarios(responses, Problem(total=1000.0),
                                   [PRESETS[2], custom])
    assert "no category is in the content group" in content.note
    assert tight.plan is None and tight.error.constraint == "max_shares"


@settings(max_examples=20, deadline=None)
@given(st.floats(0.5, 2.0), st.floats(500, 1e5))
def test_scenario_plans_spend_their_whole_budget(factor, total):
    (result,) = run_scenarios(RESPONSES, Problem(total=total),
                              [Scenario("custom", budget_factor=factor)])
    assert result.plan.spent == pytest.approx(total * factor, rel=1e-9)
