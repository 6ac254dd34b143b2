"""Budget writes: monthly plans, applying a reallocation, acknowledging alerts, editing
the cost-type mapping and running the alert check. Need analyst; every change is
recorded in the budget audit trail."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from analytics.budget import DEFAULT_COST_TYPES
from schema.attribution.types import AttributionModel
from schema.budget.inputs import InputProblem, SafetyInput, SaveBudgetPlanInput, budget_query
from schema.budget.types import (
    BudgetAlertItem,
    BudgetPlanLine,
    CostTypeMapping,
    ReallocationSuggestion,
)
from schema.context import Context, require
from schema.errors import NotFound
from schema.experiments.inputs import InvalidInput
from schema.jobs.types import Job, JobNotStarted
from server.runners import budget as runner
from server.runners.jobs import start_job

MAX_NAME = 64


@strawberry.type(description="The month's plan as saved.")
class BudgetPlanSaved:
    month: date
    lines: list[BudgetPlanLine]


@strawberry.type(description="The suggestions applied to the month's plan in one "
                             "transaction, with an audit entry.")
class ReallocationApplied:
    month: date
    suggestions: list[ReallocationSuggestion]
    lines: list[BudgetPlanLine]


SaveBudgetPlanResult = Annotated[BudgetPlanSaved | InvalidInput,
                                 strawberry.union("SaveBudgetPlanResult")]
ApplyReallocationResult = Annotated[ReallocationApplied | InvalidInput,
                                    strawberry.union("ApplyReallocationResult")]
AcknowledgeAlertResult = Annotated[BudgetAlertItem | NotFound,
                                   strawberry.union("AcknowledgeBudgetAlertResult")]
CostTypeResult = Annotated[CostTypeMapping | InvalidInput, strawberry.union("CostTypeResult")]
RunBudgetAlertsResult = Annotated[Job | JobNotStarted, strawberry.union("RunBudgetAlertsResult")]


def _today() -> date:
    return datetime.now(UTC).date()


async def _lines(info: Info[Context, Any], month: date) -> list[BudgetPlanLine]:
    statuses = await asyncio.to_thread(runner.plan_statuses, info.context.engine, month,
                                       _today())
    return [BudgetPlanLine.of(month, s) for s in statuses]


@strawberry.type
class BudgetMutation:
    @strawberry.mutation(description="Set a month's allocation per category (categories left "
                                     "out are removed). Needs analyst.")
    async def save_budget_plan(self, info: Info[Context, Any],
                               input: SaveBudgetPlanInput) -> SaveBudgetPlanResult:
        user = require(info, "analyst")
        allocations = {}
        for i, row in enumerate(input.allocations):
            name = row.category.strip()
            if not name or len(name) > MAX_NAME:
                return InvalidInput(field=f"allocations[{i}].category",
                                    message=f"allocations[{i}].category: give a name of 1 to "
                                            f"{MAX_NAME} characters")
            if name in allocations:
                return InvalidInput(field=f"allocations[{i}].category",
                                    message=f"allocations[{i}].category: {name!r} appears "
                                            "twice; give each category once")
            allocations[name] = row.amount
        month = runner.month_start(input.month)
        try:
            await asyncio.to_thread(runner.save_plans, info.context.engine, month, allocations,
                                    info.context.settings.currency, user.name)
        except ValueError as error:
            return InvalidInput(field="allocations", message=str(error))
        return BudgetPlanSaved(month=month, lines=await _lines(info, month))

    @strawberry.mutation(description="Apply the reallocation suggestions to a month's plan, "
                                     "atomically and audited. Needs analyst.")
    async def apply_budget_reallocation(
            self, info: Info[Context, Any], month: date, safety: SafetyInput | None = None,
            from_: Annotated[date | None, strawberry.argument(name="from")] = None,
            to: date | None = None, model: AttributionModel | None = None,
    ) -> ApplyReallocationResult:
        user = require(info, "analyst")
        first = runner.month_start(month)
        try:
            limits = (safety or SafetyInput()).to_safety()
            query = budget_query(from_, to, model)
            suggestions, _ = await asyncio.to_thread(
                runner.apply_reallocation, info.context.engine, first, query,
                info.context.settings.currency, limits, user.name)
        except InputProblem as problem:
            return InvalidInput(field=problem.field, message=problem.message)
        except ValueError as error:
            return InvalidInput(field="month", message=str(error))
        return ReallocationApplied(month=first,
                                   suggestions=[ReallocationSuggestion.of(s) for s in suggestions],
                                   lines=await _lines(info, first))

    @strawberry.mutation(description="Acknowledge a budget alert (kept in the history). Needs "
                                     "analyst.")
    async def acknowledge_budget_alert(self, info: Info[Context, Any],
                                       id: strawberry.ID) -> AcknowledgeAlertResult:
        user = require(info, "analyst")
        alert_id = int(id) if str(id).isdigit() else -1
        row = await asyncio.to_thread(runner.acknowledge, info.context.engine, alert_id,
                                      user.name)
        if row is None:
            return NotFound(id=id, message=f"no budget alert {id}; list them with "
                                           "budget { alerts { id } }")
        return BudgetAlertItem.from_row(row)

    @strawberry.mutation(description="Map a cost type to a category; category null restores "
                                     "the default. Needs analyst.")
    async def set_cost_type_category(self, info: Info[Context, Any], cost_type: str,
                                     category: str | None = None) -> CostTypeResult:
        user = require(info, "analyst")
        cost_type = cost_type.strip()
        if not cost_type or len(cost_type) > MAX_NAME:
            return InvalidInput(field="costType", message=f"costType: give a name of 1 to "
                                                          f"{MAX_NAME} characters")
        if category is not None and (not category.strip() or len(category) > MAX_NAME):
            return InvalidInput(field="category", message=f"category: give a name of 1 to "
                                                          f"{MAX_NAME} characters, or null")
        await asyncio.to_thread(runner.set_cost_type, info.context.engine, cost_type,
                                None if category is None else category.strip(), user.name)
        effective = category.strip() if category is not None else DEFAULT_COST_TYPES.get(
            cost_type, "")
        return CostTypeMapping(cost_type=cost_type, category=effective)

    @strawberry.mutation(description="Check plans, ROI and CPA now and raise alerts (the "
                                     "spend_alerts job). Needs analyst.")
    async def run_budget_alerts(self, info: Info[Context, Any]) -> RunBudgetAlertsResult:
        require(info, "analyst")
        outcome = await asyncio.to_thread(start_job, info.context.engine, "spend_alerts",
                                          "Budget alerts")
        if isinstance(outcome, str):
            return JobNotStarted(message=outcome)
        return Job.from_row(outcome)
