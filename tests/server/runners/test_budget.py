"""The budget runner on SQLite and PostgreSQL: the data it reads, the report, curves, the
optimiser on them, plans, alerts, reallocation and the cost-type mapping."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from analytics.budget import Infeasible, Problem, Safety, Thresholds
from server.db.models import BudgetAudit
from server.runners import budget as runner
from tests.server.runners.budget_world import load_budget_world

ALL = runner.BudgetQuery()


@pytest.fixture
def world(engine: Engine) -> Engine:
    load_budget_world(engine)
    yield engine
    engine.dispose()


def _audit(engine: Engine) -> list[BudgetAudit]:
    with Session(engine) as session:
        return list(session.exec(select(BudgetAudit).order_by(BudgetAudit.id)))


def test_spend_is_categorised_and_revenue_split_by_spend(world: Engine) -> None:
    data = runner.budget_data(world, ALL, "USD")
    assert data.emails_sent == 4 and data.currency == "USD"
    assert sorted(data.spend["category"].unique().to_list()) == ["content", "search", "social"]
    january = {c: round(r, 4) for c, r in data.results.filter(
        data.results["month"] == date(2026, 1, 1)).select("category", "revenue").iter_rows()}
    # 1000 of January's orders over spend 100 / 50 / 30
    assert january == {"content": 166.6667, "search": 555.5556, "social": 277.7778}
    rows = {r.category: r for r in runner.performance(data)}
    assert rows["search"].spend == 1520.0
    assert round(rows["search"].revenue, 2) == 7784.03
    assert round(rows["search"].roi_percent, 2) == 412.11
    assert round(rows["search"].revenue_per_email, 2) == round(7784.03 / 4, 2)
    # every unit of spend in a month earns the same under the split: ROI differs only by
    # which months a category spent in
    assert round(rows["content"].roi_percent, 2) == 355.2


def test_breakdowns_and_vendor_costs(world: Engine) -> None:
    data = runner.budget_data(world, ALL, "USD")
    assert runner.breakdown(data, "vendor").rows() == [
        ("Search Co", 1520.0), ("Social Co", 510.0), ("Writer", 60.0)]
    costs = runner.vendor_costs(data)
    first = costs.row(0, named=True)
    # 4 sends over 8 months: half a send a month
    assert (first["vendor"], first["month"], first["spend"], first["cost_per_email"]) == (
        "Search Co", date(2026, 1, 1), 100.0, 200.0)


def test_period_and_model_are_validated(world: Engine) -> None:
    with pytest.raises(ValueError, match="from .* must be before to"):
        runner.budget_data(world, runner.BudgetQuery(start=date(2026, 5, 1),
                                                     end=date(2026, 1, 1)), "USD")
    with pytest.raises(ValueError, match="unknown attribution model 'best'"):
        runner.budget_data(world, runner.BudgetQuery(model="best"), "USD")


def test_curves_warn_on_short_history_and_feed_the_optimiser(world: Engine) -> None:
    fits = {f.category: f for f in runner.curves(world, ALL, "USD", resamples=10)}
    assert "content: only 2 months" in fits["content"].warnings[0]
    assert fits["content"].current_spend == 0.0  # it stopped spending in February
    assert fits["search"].months == 8 and fits["search"].warnings == ()
    assert fits["search"].current_spend == pytest.approx((120 + 180 + 220) / 3)
    total = runner.current_total(list(fits.values()))
    plan = runner.optimize_fits(list(fits.values()), Problem(total=total, max_share=0.8))
    assert plan.spent == pytest.approx(total)
    assert plan.evidence.kkt_satisfied
    assert any("content" in w for w in plan.warnings)
    with pytest.raises(Infeasible) as refused:
        runner.optimize_fits(list(fits.values()), Problem(total=total, max_share=0.3))
    assert refused.value.constraint == "max_shares"


def test_cost_type_edit_moves_spend_and_is_audited(world: Engine) -> None:
    runner.budget_data(world, ALL, "USD")  # cached before the edit
    runner.set_cost_type(world, "copywriting", "creative", "ana")
    data = runner.budget_data(world, ALL, "USD")
    assert "creative" in data.spend["category"].to_list()
    runner.set_cost_type(world, "copywriting", None, "ana")
    assert "content" in runner.budget_data(world, ALL, "USD").spend["category"].to_list()
    entries = _audit(world)
    assert [(e.action, json.loads(e.detail)["after"]) for e in entries] == [
        ("set_cost_type", "creative"), ("set_cost_type", None)]


def test_plans_burn_and_alerts_with_history_and_acknowledgement(world: Engine) -> None:
    march = date(2026, 3, 1)
    runner.save_plans(world, march, {"search": Decimal("100"), "social": Decimal("500")},
                      "USD", "ana")
    statuses = {s.category: s for s in runner.plan_statuses(world, march, date(2026, 3, 10))}
    # search spent 150 of 100 with 10/31 of March gone
    assert statuses["search"].burn_rate == pytest.approx(1.5 / (10 / 31))
    assert statuses["search"].projected == pytest.approx(150 * 31 / 10)
    assert statuses["social"].burn_rate == pytest.approx(60 / 500 / (10 / 31))
    thresholds = Thresholds(low_roi_percent=420.0, high_burn_rate=1.2, high_cpa=260.0)
    new, still = runner.raise_alerts(world, today=date(2026, 3, 10), thresholds=thresholds,
                                     currency="USD")
    alerts = runner.list_alerts(world)
    assert new == len(alerts) and still == 0
    kinds = sorted((a.kind, a.category) for a in alerts)
    assert ("high_burn_rate", "search") in kinds
    assert ("high_burn_rate", "social") not in kinds
    # running again updates the open alerts instead of repeating them
    assert runner.raise_alerts(world, today=date(2026, 3, 10), thresholds=thresholds,
                               currency="USD") == (0, len(alerts))
    burn = next(a for a in alerts if a.kind == "high_burn_rate")
    acknowledged = runner.acknowledge(world, burn.id or 0, "ben")
    assert acknowledged is not None and acknowledged.acknowledged_by == "ben"
    assert runner.acknowledge(world, 999, "ben") is None
    assert burn.id not in [a.id for a in runner.list_alerts(world)]
    assert burn.id in [a.id for a in runner.list_alerts(world, include_acknowledged=True)]
    # acknowledged: the next check raises a new one, the old one stays in the history
    new, _ = runner.raise_alerts(world, today=date(2026, 3, 10), thresholds=thresholds,
                                 currency="USD")
    assert new == 1
    assert [e.action for e in _audit(world)] == ["save_plan", "acknowledge_alert"]


def test_reallocation_is_applied_atomically_with_an_audit_entry(world: Engine) -> None:
    april = date(2026, 4, 1)
    runner.save_plans(world, april, {"search": Decimal("200.00"), "social": Decimal("100.00"),
                                     "content": Decimal("50.00")}, "USD", "ana")
    safety = Safety(critical_roi_percent=400.0, high_marginal_roi=0.0)
    suggestions, plans = runner.apply_reallocation(world, april, ALL, "USD", safety, "ana")
    after = {p.category: p.allocated for p in plans}
    assert sum(after.values()) == Decimal("350.00")
    changes = {s.category: round(s.change, 2) for s in suggestions}
    assert changes["content"] < 0  # ROI 355% is below the 400% line
    assert changes["social"] > 0  # high marginal ROI
    assert after["content"] >= Decimal("25.00")  # keeps half
    entry = _audit(world)[-1]
    assert entry.action == "reallocate" and entry.actor == "ana"
    detail = json.loads(entry.detail)
    assert {c: Decimal(a) for c, a in detail["before"].items()} == {
        "content": Decimal(50), "search": Decimal(200), "social": Decimal(100)}
    assert {c: Decimal(a) for c, a in detail["after"].items()} == after
    assert set(detail["reasons"]) == {"content", "search", "social"}
    with pytest.raises(ValueError, match="has no plan to reallocate"):
        runner.apply_reallocation(world, date(2026, 9, 1), ALL, "USD", safety, "ana")


def test_plans_refuse_bad_amounts(world: Engine) -> None:
    with pytest.raises(ValueError, match=r"allocations\[search\]: -1 is not an amount"):
        runner.save_plans(world, date(2026, 3, 1), {"search": Decimal("-1")}, "USD", "ana")
    assert runner.list_plans(world) == [] and _audit(world) == []


def test_segment_clv_defaults_to_revenue_per_member(world: Engine) -> None:
    from server.db.engine import session_scope
    from server.db.models import Segment, SegmentMember

    with session_scope(world) as session:
        session.add(Segment(segment_id="s-top", name="Top"))
        session.flush()
        session.add_all([SegmentMember(segment_id="s-top", customer_id="u1"),
                         SegmentMember(segment_id="s-top", customer_id="u2")])
    (row,) = runner.segment_acquisition(world, [("s-top", None, 1150.0, 2)],
                                        target_ratio=3.0, max_change=0.3,
                                        lifetime_months=24.0)
    # u1 and u2 ordered 1100 and 1200: CLV 1150 a member, CAC 575
    assert (row.cac, row.clv_cac, row.recommendation) == (575.0, 2.0, "maintain")
