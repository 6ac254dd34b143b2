"""Budget queries: where the money goes and what it returns, the response curves, the
optimal allocation, scenarios, plans and alerts. Every read needs the viewer role; the
work runs in threads."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from analytics.budget import CurveFit, Infeasible
from schema.attribution.types import AttributionModel, money, optional_money
from schema.budget.inputs import (
    InputProblem,
    OptimizeBudgetInput,
    SafetyInput,
    ScenarioInput,
    SegmentEconomicsInput,
    budget_query,
    history_frame,
    problem_of,
    scenario_of,
)
from schema.budget.types import (
    BudgetAlertItem,
    BudgetAllocation,
    BudgetCategory,
    BudgetInfeasible,
    BudgetPlanLine,
    ContentRoi,
    ReallocationSuggestion,
    ResponseCurve,
    ScenarioOutcome,
    SegmentAcquisitionResult,
    SpendDimension,
    SpendRow,
    VendorCost,
)
from schema.context import Context, require
from schema.experiments.inputs import InvalidInput
from server.runners import budget as runner
from server.runners.budget import BudgetQuery

OptimizeBudgetResult = Annotated[BudgetAllocation | BudgetInfeasible | InvalidInput,
                                 strawberry.union("OptimizeBudgetResult")]


def _today() -> date:
    return datetime.now(UTC).date()


async def _fits(info: Info[Context, Any], input: OptimizeBudgetInput,
                ) -> tuple[list[CurveFit], str]:
    currency = info.context.settings.currency
    if not 1 <= input.resamples <= runner.MAX_RESAMPLES:
        raise InputProblem("resamples", f"{input.resamples} must be between 1 and "
                           f"{runner.MAX_RESAMPLES}")
    if input.history is not None:
        frame = history_frame(input.history)
        return await asyncio.to_thread(runner.fit_history, frame, input.resamples), currency
    query = budget_query(input.from_, input.to, input.model)
    engine = info.context.engine
    data = await asyncio.to_thread(runner.budget_data, engine, query, currency)
    fits = await asyncio.to_thread(runner.curves, engine, query, currency, input.resamples)
    return fits, data.currency


async def optimize_input(info: Info[Context, Any], input: OptimizeBudgetInput,
                         ) -> BudgetAllocation | BudgetInfeasible | InvalidInput:
    """The allocation ``input`` asks for, or its typed refusal."""
    try:
        fits, currency = await _fits(info, input)
        total = float(input.total) if input.total is not None else runner.current_total(fits)
        problem = problem_of(input, total)
        plan = await asyncio.to_thread(runner.optimize_fits, fits, problem)
    except InputProblem as problem_:
        return InvalidInput(field=problem_.field, message=problem_.message)
    except Infeasible as refused:
        return BudgetInfeasible.of(refused)
    return BudgetAllocation.of(plan, currency)


@strawberry.type(description="A period's budget report; months are those whose days fall "
                             "in [from, to).")
class Budget:
    from_: date | None = strawberry.field(name="from")
    to: date | None
    model: AttributionModel | None
    currency: str
    query: strawberry.Private[BudgetQuery]

    async def _data(self, info: Info[Context, Any]) -> runner.BudgetData:
        return await asyncio.to_thread(runner.budget_data, info.context.engine, self.query,
                                       self.currency)

    @strawberry.field(description="Per category: spend, revenue, ROI, CPA, efficiency, "
                                  "consistency and score.")
    async def categories(self, info: Info[Context, Any]) -> list[BudgetCategory]:
        data = await self._data(info)
        return [BudgetCategory.of(row) for row in runner.performance(data)]

    @strawberry.field(description="Spend by category, cost type, vendor, campaign or month.")
    async def breakdown(self, info: Info[Context, Any], by: SpendDimension) -> list[SpendRow]:
        data = await self._data(info)
        return [SpendRow(key=None if key is None else str(key), amount=money(amount))
                for key, amount in runner.breakdown(data, by.value).iter_rows()]

    @strawberry.field(description="Each category's response curve with marginal ROI.")
    async def curves(self, info: Info[Context, Any], resamples: int = 100,
                     ) -> list[ResponseCurve]:
        if not 1 <= resamples <= runner.MAX_RESAMPLES:
            raise ValueError(f"resamples must be between 1 and {runner.MAX_RESAMPLES}")
        fits = await asyncio.to_thread(runner.curves, info.context.engine, self.query,
                                       self.currency, resamples)
        return [ResponseCurve.of(fit) for fit in fits]

    @strawberry.field(description="The optimal allocation of the current monthly budget "
                                  "(or input.total) beside the current one.")
    async def allocation(self, info: Info[Context, Any],
                         input: OptimizeBudgetInput | None = None) -> OptimizeBudgetResult:
        given = input or OptimizeBudgetInput()
        given.from_, given.to, given.model = self.from_, self.to, self.model
        return await optimize_input(info, given)

    @strawberry.field(description="Move money from critical categories to high performers "
                                  "within the safety limits: the month's plan, or the current "
                                  "spend when the month has none.")
    async def recommendations(self, info: Info[Context, Any], month: date | None = None,
                              safety: SafetyInput | None = None,
                              ) -> list[ReallocationSuggestion]:
        limits = (safety or SafetyInput()).to_safety()
        rows = await asyncio.to_thread(runner.recommendations, info.context.engine,
                                       month or _today(), self.query, self.currency, limits)
        return [ReallocationSuggestion.of(s) for s in rows]

    @strawberry.field(description="Budget alerts, newest first.")
    async def alerts(self, info: Info[Context, Any],
                     include_acknowledged: bool = False) -> list[BudgetAlertItem]:
        rows = await asyncio.to_thread(runner.list_alerts, info.context.engine,
                                       include_acknowledged)
        return [BudgetAlertItem.from_row(row) for row in rows]

    @strawberry.field(description="A month's plan (default: this month) against its spend; "
                                  "asOf sets the day the burn rate is measured on.")
    async def plans(self, info: Info[Context, Any], month: date | None = None,
                    as_of: date | None = None) -> list[BudgetPlanLine]:
        today = as_of or _today()
        first = runner.month_start(month or today)
        statuses = await asyncio.to_thread(runner.plan_statuses, info.context.engine,
                                           first, today)
        return [BudgetPlanLine.of(first, s) for s in statuses]

    @strawberry.field(description="Spend per vendor and month, per email sent.")
    async def vendor_costs(self, info: Info[Context, Any]) -> list[VendorCost]:
        data = await self._data(info)
        return [VendorCost(vendor=r["vendor"], month=r["month"], spend=money(r["spend"]),
                           cost_per_email=optional_money(r["cost_per_email"]))
                for r in runner.vendor_costs(data).iter_rows(named=True)]

    @strawberry.field(description="Content cost ROI by content type.")
    async def content_roi(self, info: Info[Context, Any]) -> list[ContentRoi]:
        data = await self._data(info)
        frame = await asyncio.to_thread(runner.content_costs, info.context.engine, data)
        return [ContentRoi(content_type=r["content_type"], campaigns=r["campaigns"],
                           spend=money(r["spend"]), revenue=money(r["revenue"]),
                           roi_percent=r["roi_percent"]) for r in frame.iter_rows(named=True)]


@strawberry.type
class BudgetQueryRoot:
    @strawberry.field(description="The budget report for the months in [from, to). Needs "
                                  "viewer.")
    def budget(self, info: Info[Context, Any], from_: Annotated[
            date | None, strawberry.argument(name="from")] = None, to: date | None = None,
               model: AttributionModel | None = None) -> Budget:
        require(info, "viewer")
        query = budget_query(from_, to, model)
        return Budget(from_=from_, to=to, model=model, currency=info.context.settings.currency,
                      query=query)

    @strawberry.field(description="Allocate a total across categories to maximise predicted "
                                  "revenue, profit or conversions within the bounds; the "
                                  "database's history or the one given. Needs viewer.")
    async def optimize_budget(self, info: Info[Context, Any],
                              input: OptimizeBudgetInput) -> OptimizeBudgetResult:
        require(info, "viewer")
        return await optimize_input(info, input)

    @strawberry.field(description="The preset scenarios (conservative, aggressive growth, "
                                  "content focused, optimisation heavy, acquisition focused) "
                                  "and any given ones. Needs viewer.")
    async def budget_scenarios(self, info: Info[Context, Any], input: OptimizeBudgetInput,
                               scenarios: list[ScenarioInput] | None = None,
                               ) -> list[ScenarioOutcome]:
        require(info, "viewer")
        try:
            custom = [scenario_of(row, i) for i, row in enumerate(scenarios or [])]
            fits, currency = await _fits(info, input)
            total = float(input.total) if input.total is not None else \
                runner.current_total(fits)
            base = problem_of(input, total)
        except InputProblem as problem_:
            raise ValueError(problem_.message) from None
        runs = await asyncio.to_thread(runner.scenarios, fits, base, custom)
        return [ScenarioOutcome.of(run, currency) for run in runs]

    @strawberry.field(description="CLV-based acquisition budget per segment: CLV:CAC, "
                                  "payback months and the recommended change. Needs viewer.")
    async def acquisition_budget(self, info: Info[Context, Any],
                                 segments: list[SegmentEconomicsInput],
                                 target_ratio: float = 3.0, max_change: float = 0.3,
                                 lifetime_months: float = 24.0,
                                 ) -> list[SegmentAcquisitionResult]:
        require(info, "viewer")
        rows = [(s.segment, None if s.clv is None else float(s.clv),
                 float(s.acquisition_spend), s.new_customers) for s in segments]
        results = await asyncio.to_thread(
            runner.segment_acquisition, info.context.engine, rows, target_ratio=target_ratio,
            max_change=max_change, lifetime_months=lifetime_months)
        return [SegmentAcquisitionResult(
            segment=r.segment, cac=optional_money(r.cac), clv_cac=r.clv_cac,
            payback_months=r.payback_months, recommendation=r.recommendation,
            change=r.change, suggested_spend=money(r.suggested_spend), reason=r.reason)
            for r in results]
