"""budget, optimizeBudget and budgetScenarios through the schema."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.schema.conftest import data_of, messages_of, run
from tests.server.runners.budget_world import load_budget_world

HISTORY = [  # two categories on known curves: a = 4000 s/(s+500), b = 1000 s/(s+500)
    {"category": c, "period": f"2026-{m:02d}", "spend": str(s),
     "revenue": str(round(top * s / (s + 500), 4)), "conversions": 1.0}
    for c, top in (("a", 4000), ("b", 1000))
    for m, s in enumerate((200, 400, 600, 800, 1000, 300, 700, 900), start=1)]
OPTIMIZE = """
query($input: OptimizeBudgetInput!) {
  optimizeBudget(input: $input) {
    __typename
    ... on BudgetAllocation { total spent revenue currentSpend
      lines { category spend bound } evidence { kktSatisfied binding { category bound }
      gridRevenue } warnings }
    ... on BudgetInfeasible { message constraint category }
    ... on InvalidInput { field message }
  }
}
"""


@pytest.fixture
def world(db: Engine) -> Engine:
    return load_budget_world(db)


async def test_budget_report(world: Engine) -> None:
    data = await data_of(world, """{
      budget { currency categories { category spend roiPercent }
               breakdown(by: COST_TYPE) { key amount }
               curves(resamples: 5) { category months warnings points(count: 2) { spend } }
               vendorCosts { vendor } } }""")
    budget = data["budget"]
    assert budget["currency"] == "USD"
    assert [(c["category"], c["spend"], round(c["roiPercent"], 2))
            for c in budget["categories"]] == [
        ("content", "60.0000", 355.2), ("search", "1520.0000", 412.11),
        ("social", "510.0000", 437.81)]
    assert budget["breakdown"] == [{"key": "media", "amount": "2030.0000"},
                                   {"key": "copywriting", "amount": "60.0000"}]
    content = budget["curves"][0]
    assert content["months"] == 2 and "only 2 months" in content["warnings"][0]
    # content spends nothing now: its points run to three times one unit
    assert content["points"] == [{"spend": "0.0000"}, {"spend": "3.0000"}]
    assert {v["vendor"] for v in budget["vendorCosts"]} == {"Search Co", "Social Co",
                                                            "Writer"}


async def test_optimize_on_your_own_history(world: Engine) -> None:
    data = await data_of(world, OPTIMIZE, {"input": {
        "history": HISTORY, "total": "1000", "minShare": 0, "maxShare": 1, "resamples": 5}})
    result = data["optimizeBudget"]
    assert result["__typename"] == "BudgetAllocation"
    spend = {line["category"]: float(line["spend"]) for line in result["lines"]}
    # the true optimum is 833.33 / 166.67 (equal marginals on the true curves)
    assert spend["a"] == pytest.approx(833.33, abs=2.0)
    assert spend["b"] == pytest.approx(166.67, abs=2.0)
    assert result["spent"] == "1000.0000"
    assert result["evidence"]["kktSatisfied"] is True
    assert float(result["revenue"]) >= float(result["evidence"]["gridRevenue"]) - 1e-3


@pytest.mark.parametrize(("input", "expected"), [
    ({"minShare": 0.6, "maxShare": 1},
     {"__typename": "BudgetInfeasible", "constraint": "min_shares", "category": None}),
    ({"limits": [{"category": "a", "fixed": "900"}]},
     {"__typename": "BudgetInfeasible", "constraint": "fixed_above_max", "category": "a"}),
    ({"roiTarget": 900.0, "maxShare": 1}, {"__typename": "BudgetInfeasible", "constraint": "target",
                            "category": None}),
    ({"maxShare": 1.5}, {"__typename": "InvalidInput", "field": "maxShare"}),
])
async def test_infeasible_and_invalid_inputs_are_typed(world: Engine, input, expected) -> None:
    data = await data_of(world, OPTIMIZE, {"input": {"history": HISTORY, "total": "1000",
                                                     "resamples": 2, **input}})
    result = data["optimizeBudget"]
    assert {k: result[k] for k in expected} == expected
    assert result["message"]


async def test_history_rows_are_checked_by_row(world: Engine) -> None:
    rows = [*HISTORY[:3], {**HISTORY[3], "spend": "-5"}]
    result = (await data_of(world, OPTIMIZE, {"input": {"history": rows}}))["optimizeBudget"]
    assert result == {"__typename": "InvalidInput", "field": "history[3].spend",
                      "message": "history[3].spend: -5 must be an amount >= 0"}
    twice = [*HISTORY[:2], HISTORY[1]]
    result = (await data_of(world, OPTIMIZE, {"input": {"history": twice}}))["optimizeBudget"]
    assert result["field"] == "history[2].period"


async def test_allocation_of_the_database_history(world: Engine) -> None:
    data = await data_of(world, """{ budget { allocation(input: {maxShare: 0.8, resamples: 5})
      { __typename ... on BudgetAllocation { total spent lines { category spend } warnings }
      } } }""")
    allocation = data["budget"]["allocation"]
    assert allocation["__typename"] == "BudgetAllocation"
    # the current monthly spend: search and social over June-August
    assert float(allocation["total"]) == pytest.approx((120 + 180 + 220 + 70 + 55 + 65) / 3,
                                                       abs=1e-4)
    assert allocation["spent"] == allocation["total"]
    assert any("content" in w for w in allocation["warnings"])


async def test_scenarios(world: Engine) -> None:
    data = await data_of(world, """query($input: OptimizeBudgetInput!) {
      budgetScenarios(input: $input, scenarios: [{name: "double", budgetFactor: 2}]) {
        name total note allocation { spent revenue conversions roiPercent cpa }
        error { constraint } } }""", {"input": {"history": HISTORY, "total": "1000",
                                                "resamples": 2, "maxShare": 1, "minShare": 0}})
    outcomes = {o["name"]: o for o in data["budgetScenarios"]}
    assert list(outcomes) == ["conservative", "aggressive_growth", "content_focused",
                              "optimisation_heavy", "acquisition_focused", "double"]
    assert outcomes["double"]["total"] == "2000.0000"
    assert float(outcomes["double"]["allocation"]["revenue"]) > float(
        outcomes["aggressive_growth"]["allocation"]["revenue"])
    # two categories cannot take the whole budget at 30% each
    assert outcomes["conservative"]["allocation"] is None
    assert outcomes["conservative"]["error"] == {"constraint": "max_shares"}
    assert "no category is in the content group" in outcomes["content_focused"]["note"]
    bad = await run(world, """{ budgetScenarios(input: {}, scenarios: [{name: "x",
      budgetFactor: 0}]) { name } }""")
    assert messages_of(bad) == [
        "scenarios[0].budgetFactor: 0.0 must be > 0, e.g. 1.2 for 20% more"]


async def test_reads_need_a_key(world: Engine) -> None:
    result = await run(world, "{ budget { currency } }", user=None)
    assert "Authentication required" in messages_of(result)[0]


async def test_acquisition_budget_per_segment(world: Engine) -> None:
    data = await data_of(world, """{ acquisitionBudget(segments: [
      {segment: "vip", clv: "600", acquisitionSpend: "5000", newCustomers: 50},
      {segment: "bargain", clv: "40", acquisitionSpend: "3000", newCustomers: 50}]) {
        segment cac clvCac paybackMonths recommendation change suggestedSpend } }""")
    assert data["acquisitionBudget"] == [
        {"segment": "bargain", "cac": "60.0000", "clvCac": pytest.approx(2 / 3),
         "paybackMonths": 36.0, "recommendation": "decrease", "change": -0.3,
         "suggestedSpend": "2100.0000"},
        {"segment": "vip", "cac": "100.0000", "clvCac": 6.0, "paybackMonths": 4.0,
         "recommendation": "increase", "change": 0.3, "suggestedSpend": "6500.0000"}]
    missing = await run(world, """{ acquisitionBudget(segments: [{segment: "ghost",
      acquisitionSpend: "10", newCustomers: 1}]) { segment } }""")
    assert messages_of(missing) == [
        "segments[0].clv: segment 'ghost' has no members to value; give its clv"]


async def test_content_roi_by_campaign_type(world: Engine) -> None:
    from tests.server.ingest.conftest import load_csv

    load_csv("spend", "spend_id,incurred_on,category,cost_type,amount,currency,vendor,"
                      "campaign_id\nd1,2026-03-02,misc,design,40.00,USD,Studio,c1\n", world)
    data = await data_of(world, "{ budget { contentRoi { contentType campaigns spend revenue "
                                "roiPercent } } }")
    # c1's orders carry no last touch in this world: its content spend has returned nothing
    assert data["budget"]["contentRoi"] == [
        {"contentType": "promotional", "campaigns": 1, "spend": "40.0000",
         "revenue": "0.0000", "roiPercent": -100.0}]
