"""Budget mutations: plans, reallocation, alerts, the cost-type mapping, the alert job."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from analytics.budget import Thresholds
from server.runners import budget as runner
from tests.schema.conftest import ANALYST, data_of, messages_of, run
from tests.server.runners.budget_world import load_budget_world

SAVE = """
mutation($input: SaveBudgetPlanInput!) {
  saveBudgetPlan(input: $input) {
    __typename
    ... on BudgetPlanSaved { month lines { category allocated spent } }
    ... on InvalidInput { field message }
  }
}
"""


@pytest.fixture
def world(db: Engine) -> Engine:
    return load_budget_world(db)


async def test_save_plan_then_reallocate(world: Engine) -> None:
    data = await data_of(world, SAVE, {"input": {"month": "2026-04-17", "allocations": [
        {"category": "search", "amount": "200"}, {"category": "social", "amount": "100"},
        {"category": "content", "amount": "50"}]}}, user=ANALYST)
    saved = data["saveBudgetPlan"]
    assert saved["month"] == "2026-04-01"
    assert [(x["category"], x["allocated"], x["spent"]) for x in saved["lines"]] == [
        ("content", "50.0000", "0.0000"), ("search", "200.0000", "300.0000"),
        ("social", "100.0000", "40.0000")]
    data = await data_of(world, """mutation { applyBudgetReallocation(month: "2026-04-01",
      safety: {criticalRoiPercent: 400}) { __typename ... on ReallocationApplied {
      suggestions { category change } lines { category allocated } } } }""", user=ANALYST)
    applied = data["applyBudgetReallocation"]
    total = sum(float(x["allocated"]) for x in applied["lines"])
    assert total == pytest.approx(350.0)
    assert {s["category"]: float(s["change"]) < 0 for s in applied["suggestions"]}[
        "content"] is True


async def test_plan_inputs_are_refused_with_the_field(world: Engine) -> None:
    data = await data_of(world, SAVE, {"input": {"month": "2026-04-01", "allocations": [
        {"category": "search", "amount": "1"}, {"category": "search", "amount": "2"}]}},
        user=ANALYST)
    assert data["saveBudgetPlan"]["field"] == "allocations[1].category"
    data = await data_of(world, """mutation { applyBudgetReallocation(month: "2026-09-01") {
      __typename ... on InvalidInput { field message } } }""", user=ANALYST)
    assert data["applyBudgetReallocation"] == {
        "__typename": "InvalidInput", "field": "month",
        "message": "month 2026-09-01 has no plan to reallocate; save a plan for it first"}


async def test_writes_need_analyst(world: Engine) -> None:
    result = await run(world, SAVE, {"input": {"month": "2026-04-01", "allocations": []}})
    assert "needs the analyst role" in messages_of(result)[0]


async def test_acknowledge_alert(world: Engine) -> None:
    runner.save_plans(world, date(2026, 3, 1), {"search": __import__("decimal").Decimal(100)},
                      "USD", "ana")
    runner.raise_alerts(world, today=date(2026, 3, 10), currency="USD",
                        thresholds=Thresholds(low_roi_percent=-100.0, high_burn_rate=1.2))
    alerts = (await data_of(world, "{ budget { alerts { id kind category } } }"))["budget"][
        "alerts"]
    assert [(a["kind"], a["category"]) for a in alerts] == [("high_burn_rate", "search")]
    ack = """mutation($id: ID!) { acknowledgeBudgetAlert(id: $id) { __typename
      ... on BudgetAlert { acknowledgedBy } ... on NotFound { message } } }"""
    data = await data_of(world, ack, {"id": alerts[0]["id"]}, user=ANALYST)
    assert data["acknowledgeBudgetAlert"] == {"__typename": "BudgetAlert",
                                              "acknowledgedBy": "analyst key"}
    data = await data_of(world, ack, {"id": "999"}, user=ANALYST)
    assert data["acknowledgeBudgetAlert"]["__typename"] == "NotFound"
    left = await data_of(world, "{ budget { alerts { id } all: alerts(includeAcknowledged: "
                                "true) { id } } }")
    assert left["budget"]["alerts"] == [] and len(left["budget"]["all"]) == 1


async def test_cost_type_mapping(world: Engine) -> None:
    data = await data_of(world, """mutation { setCostTypeCategory(costType: "copywriting",
      category: "creative") { __typename ... on CostTypeMapping { costType category } } }""",
                         user=ANALYST)
    assert data["setCostTypeCategory"] == {"__typename": "CostTypeMapping",
                                           "costType": "copywriting", "category": "creative"}
    report = await data_of(world, "{ budget { categories { category } } }")
    assert [c["category"] for c in report["budget"]["categories"]] == [
        "creative", "search", "social"]
    data = await data_of(world, """mutation { setCostTypeCategory(costType: "copywriting") {
      ... on CostTypeMapping { category } } }""", user=ANALYST)
    assert data["setCostTypeCategory"] == {"category": "content"}


async def test_run_alerts_queues_the_job(world: Engine) -> None:
    data = await data_of(world, """mutation { runBudgetAlerts { __typename
      ... on Job { actor state } } }""", user=ANALYST)
    assert data["runBudgetAlerts"] == {"__typename": "Job", "actor": "spend_alerts",
                                       "state": "QUEUED"}
