from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.budget.curves import HillCurve
from analytics.budget.optimizer import Infeasible, Limits, Problem, Response, optimize

RESPONSES = [
    Response("email", HillCurve(top=4000.0, half=300.0, shape=1.0), 50.0, current_spend=200.0),
    Response("social", HillCurve(top=6000.0, half=1500.0, shape=1.0), 60.0,
             current_spend=1200.0),
    Response("display", HillCurve(top=2000.0, half=800.0, shape=1.0), 40.0,
             current_spend=600.0),
]


def _sums_and_bounds(plan, problem):
    assert sum(line.spend for line in plan.lines) == pytest.approx(plan.spent, rel=1e-9)
    for line in plan.lines:
        own = problem.limits.get(line.category, Limits())
        lo = problem.min_share if own.min_share is None else own.min_share
        hi = problem.max_share if own.max_share is None else own.max_share
        if own.fixed is not None:
            assert line.spend == pytest.approx(own.fixed, rel=1e-9, abs=1e-9)
        else:
            assert lo * problem.total * (1 - 1e-9) - 1e-9 <= line.spend
            assert line.spend <= hi * problem.total * (1 + 1e-9) + 1e-9


def test_golden_two_equal_half_curves_split_by_their_ceiling():
    # R = top s/(s+h): equal marginals top_a h/(a+h)^2 = top_b h/(b+h)^2 with a + b = 1000,
    # h = 500 and tops 4 : 1 give a + 500 = 2 (b + 500), so a = 833.33, b = 166.67.
    responses = [Response("a", HillCurve(4000.0, 500.0, 1.0)),
                 Response("b", HillCurve(1000.0, 500.0, 1.0))]
    plan = optimize(responses, Problem(total=1000.0, min_share=0.0, max_share=1.0))
    assert round(plan.line("a").spend, 2) == 833.33
    assert round(plan.line("b").spend, 2) == 166.67
    assert plan.evidence.kkt_satisfied and plan.evidence.binding == ()
    assert plan.line("a").marginal_roi == pytest.approx(plan.line("b").marginal_roi, rel=1e-4)
    assert plan.evidence.grid_revenue is not None
    assert plan.revenue >= plan.evidence.grid_revenue - 1e-6


def test_default_bounds_bind_and_are_reported():
    plan = optimize(RESPONSES, Problem(total=3000.0))
    _sums_and_bounds(plan, Problem(total=3000.0))
    assert plan.spent == pytest.approx(3000.0) and plan.held_back == 0
    assert plan.evidence.kkt_satisfied
    assert dict(plan.evidence.binding) == {"social": "max"}
    assert plan.evidence.free_categories == ("display", "email")
    assert plan.revenue >= plan.evidence.grid_revenue - 1e-6
    assert plan.revenue > plan.current_revenue
    assert plan.revenue_lower == plan.revenue_upper == pytest.approx(plan.revenue)


def test_fixed_amounts_are_kept_and_marked():
    problem = Problem(total=3000.0, max_share=0.5, limits={"display": Limits(fixed=250.0)})
    plan = optimize(RESPONSES, problem)
    _sums_and_bounds(plan, problem)
    assert plan.line("display").bound == "fixed"


@pytest.mark.parametrize(("problem", "constraint", "category", "text"), [
    (Problem(total=1000.0, min_share=0.4), "min_shares", None, "minimums add up to 1,200.00"),
    (Problem(total=1000.0, max_share=0.3), "max_shares", None, "100.00 could not be spent"),
    (Problem(total=1000.0, limits={"email": Limits(fixed=500.0)}), "fixed_above_max",
     "email", "email: fixed amount 500.00 is above its maximum 400.00"),
    (Problem(total=0.0), "total", None, "positive"),
    (Problem(total=3000.0, roi_target=500.0), "target", None, "ROI 500%"),
    (Problem(total=3000.0, limits={"nope": Limits(min_share=0.1)}), "categories", "nope",
     "unknown categories: nope"),
])
def test_infeasible_inputs_name_the_constraint(problem, constraint, category, text):
    with pytest.raises(Infeasible, match=text) as refused:
        optimize(RESPONSES, problem)
    assert refused.value.constraint == constraint
    assert refused.value.category == category


def test_a_target_holds_money_back_and_says_why():
    plan = optimize(RESPONSES, Problem(total=9000.0, roi_target=100.0))
    assert plan.roi_percent == pytest.approx(100.0, abs=0.01)
    assert plan.spent < 9000.0
    assert plan.held_back == pytest.approx(9000.0 - plan.spent)
    assert "ROI target of 100%" in plan.held_back_reason


def test_cpa_target_is_met():
    plan = optimize(RESPONSES, Problem(total=9000.0, cpa_target=40.0))
    assert plan.cpa == pytest.approx(40.0, rel=1e-4)


def test_clv_floor_caps_acquisition_spend():
    responses = [Response("ads", HillCurve(3000.0, 200.0, 1.0), 50.0, acquisition=True),
                 Response("email", HillCurve(3000.0, 2000.0, 1.0), 50.0)]
    free = optimize(responses, Problem(total=2000.0, min_share=0.0, max_share=1.0))
    capped = optimize(responses, Problem(total=2000.0, min_share=0.0, max_share=1.0,
                                         clv=100.0, clv_cac_floor=6.5))
    ads = capped.line("ads")
    assert ads.spend < free.line("ads").spend
    # CLV:CAC = (conversions * clv) / spend at the cap equals the floor
    # 2 * 3000 / (s + 200) = 6.5 at s = 723.08
    assert round(ads.spend, 1) == 723.1
    assert ads.conversions * 100.0 / ads.spend == pytest.approx(6.5, rel=1e-3)
    assert ads.bound == "clv_floor"
    with pytest.raises(Infeasible, match="ads: no spend") as refused:
        optimize(responses, Problem(total=2000.0, clv=100.0, clv_cac_floor=50.0))
    assert refused.value.constraint == "clv_floor"


def test_conversions_objective_prefers_cheap_conversions():
    responses = [Response("a", HillCurve(1000.0, 500.0, 1.0), 10.0),
                 Response("b", HillCurve(1000.0, 500.0, 1.0), 100.0)]
    plan = optimize(responses, Problem(total=1000.0, objective="conversions", min_share=0,
                                       max_share=1))
    assert plan.line("a").spend > plan.line("b").spend


def test_s_shaped_curves_match_the_grid():
    responses = [Response("a", HillCurve(3000.0, 700.0, 2.5)),
                 Response("b", HillCurve(2000.0, 300.0, 1.8)),
                 Response("c", HillCurve(1000.0, 100.0, 0.7))]
    plan = optimize(responses, Problem(total=1500.0, min_share=0.0, max_share=1.0))
    assert plan.revenue >= plan.evidence.grid_revenue * (1 - 1e-4)


curves = st.builds(HillCurve, top=st.floats(100, 1e5), half=st.floats(10, 1e4),
                   shape=st.floats(0.5, 1.0))


@settings(max_examples=40, deadline=None)
@given(st.lists(curves, min_size=2, max_size=6), st.floats(100, 1e5),
       st.floats(0.0, 0.15), st.floats(0.35, 1.0), st.randoms(use_true_random=False))
def test_bounds_sum_and_permutation_invariance(items, total, lo, hi, rnd):
    responses = [Response(f"c{i}", c) for i, c in enumerate(items)]
    problem = Problem(total=total, min_share=lo, max_share=hi)
    try:
        plan = optimize(responses, problem)
    except Infeasible as refused:
        assert refused.constraint in ("min_shares", "max_shares")
        assert lo * len(items) > 1 or hi * len(items) < 1
        return
    _sums_and_bounds(plan, problem)
    assert plan.spent == pytest.approx(total, rel=1e-9)
    assert plan.evidence.kkt_satisfied
    shuffled = list(responses)
    rnd.shuffle(shuffled)
    again = optimize(shuffled, problem)
    assert [(x.category, x.spend) for x in again.lines] == [
        (x.category, x.spend) for x in plan.lines]


@settings(max_examples=30, deadline=None)
@given(st.lists(curves, min_size=2, max_size=5), st.floats(100, 1e5), st.floats(1.0, 3.0))
def test_a_larger_budget_never_predicts_less(items, total, factor):
    responses = [Response(f"c{i}", c) for i, c in enumerate(items)]
    small = optimize(responses, Problem(total=total, min_share=0.0, max_share=1.0))
    large = optimize(responses, Problem(total=total * factor, min_share=0.0, max_share=1.0))
    assert large.revenue >= small.revenue * (1 - 1e-9)


@settings(max_examples=30, deadline=None)
@given(curves, st.integers(2, 6), st.floats(100, 1e5))
def test_identical_curves_get_equal_spend(curve, n, total):
    responses = [Response(f"c{i}", curve) for i in range(n)]
    plan = optimize(responses, Problem(total=total, min_share=0.0, max_share=1.0))
    spends = np.array([line.spend for line in plan.lines])
    assert spends == pytest.approx(np.full(n, total / n), rel=1e-6)


def test_history_caps_spend_while_the_total_fits_and_warns_when_not():
    responses = [Response("a", HillCurve(4000.0, 500.0, 1.0), max_trusted=600.0),
                 Response("b", HillCurve(1000.0, 500.0, 1.0))]
    plan = optimize(responses, Problem(total=1000.0, min_share=0.0, max_share=1.0))
    # free, a would take 833.33; its history stops at 600
    assert plan.line("a").spend == pytest.approx(600.0)
    assert plan.line("a").bound == "history" and plan.warnings == ()
    assert plan.evidence.kkt_satisfied
    wide = optimize([Response("a", HillCurve(4000.0, 500.0, 1.0), max_trusted=100.0),
                     Response("b", HillCurve(1000.0, 500.0, 1.0), max_trusted=100.0)],
                    Problem(total=1000.0, min_share=0.0, max_share=1.0))
    assert wide.spent == pytest.approx(1000.0)
    assert "extrapolate" in wide.warnings[0]


@settings(max_examples=30, deadline=None)
@given(st.lists(curves, min_size=2, max_size=3), st.floats(100, 1e5), st.floats(0.0, 0.2))
def test_small_problems_match_the_grid(items, total, lo):
    responses = [Response(f"c{i}", c) for i, c in enumerate(items)]
    plan = optimize(responses, Problem(total=total, min_share=lo, max_share=1.0))
    # the grid walks steps of 1/200 of each range: never better than the optimiser
    assert plan.evidence.grid_revenue is not None
    assert plan.revenue >= plan.evidence.grid_revenue * (1 - 1e-9)


@settings(max_examples=30, deadline=None)
@given(st.lists(curves, min_size=3, max_size=8), st.floats(100, 1e5), st.floats(1.0, 3.0))
def test_a_larger_budget_never_predicts_less_under_the_default_shares(items, total, factor):
    responses = [Response(f"c{i}", c) for i, c in enumerate(items)]
    small = optimize(responses, Problem(total=total))
    large = optimize(responses, Problem(total=total * factor))
    assert large.revenue >= small.revenue * (1 - 1e-9)
    for plan in (small, large):
        assert plan.evidence.kkt_satisfied
