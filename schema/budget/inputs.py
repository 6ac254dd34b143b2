"""Inputs of the budget fields, converted to the runner's parameters with validation that
names the field and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import polars as pl
import strawberry

from analytics.budget import Limits, Problem, Safety, Scenario
from analytics.budget.optimizer import DEFAULT_MAX_SHARE, DEFAULT_MIN_SHARE
from schema.attribution.types import AttributionModel
from schema.budget.types import BudgetObjective
from server.runners.budget import BudgetQuery

MAX_HISTORY_ROWS = 10_000


class InputProblem(ValueError):
    """An input the budget fields cannot use; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = f"{field}: {message}"


@strawberry.input(description="A category's own bounds (shares are fractions of the total).")
class CategoryLimitInput:
    category: str
    min_share: float | None = None
    max_share: float | None = None
    fixed: Decimal | None = strawberry.field(default=None,
                                             description="Spend exactly this amount.")


@strawberry.input(description="One month of a category's history, for teams whose data "
                              "lives elsewhere. period is any sortable label, e.g. 2026-03.")
class HistoryRowInput:
    category: str
    period: str
    spend: Decimal
    revenue: Decimal
    conversions: float | None = None


@strawberry.input
class OptimizeBudgetInput:
    total: Decimal | None = strawberry.field(
        default=None, description="Monthly budget to allocate (default: current monthly "
                                  "spend, the sum of each category's last three months).")
    objective: BudgetObjective = BudgetObjective.REVENUE
    min_share: float = DEFAULT_MIN_SHARE
    max_share: float = DEFAULT_MAX_SHARE
    limits: list[CategoryLimitInput] | None = None
    roi_target: float | None = strawberry.field(
        default=None, description="Percent; total becomes a ceiling, the plan spends the "
                                  "most that keeps ROI at or above it.")
    cpa_target: Decimal | None = strawberry.field(
        default=None, description="Cost per conversion not to exceed; total becomes a "
                                  "ceiling.")
    clv: Decimal | None = strawberry.field(default=None,
                                           description="Value of an acquired customer.")
    clv_cac_floor: float | None = strawberry.field(
        default=None, description="Minimum CLV:CAC for acquisition categories.")
    history: list[HistoryRowInput] | None = strawberry.field(
        default=None, description="Bring your own history instead of the database's.")
    from_: date | None = strawberry.field(default=None, name="from")
    to: date | None = None
    model: AttributionModel | None = strawberry.field(
        default=None, description="Attribution model crediting revenue (default: each "
                                  "month's order revenue split by spend).")
    resamples: int = strawberry.field(default=100, description="Bootstrap resamples.")


@strawberry.input(description="A user-defined scenario on top of the input's constraints.")
class ScenarioInput:
    name: str
    budget_factor: float = 1.0
    min_share: float | None = None
    max_share: float | None = None
    focus: str | None = strawberry.field(
        default=None, description="content, optimisation or acquisition.")
    focus_share: float = 0.0
    limits: list[CategoryLimitInput] | None = None


@strawberry.input
class SafetyInput:
    max_increase_ratio: float = 1.5
    min_retained: float = 0.5
    max_share_moved: float = 0.2
    critical_roi_percent: float = 0.0
    high_marginal_roi: float = 0.0

    def to_safety(self) -> Safety:
        safety = Safety(max_increase_ratio=self.max_increase_ratio,
                        min_retained=self.min_retained, max_share_moved=self.max_share_moved,
                        critical_roi_percent=self.critical_roi_percent,
                        high_marginal_roi=self.high_marginal_roi)
        try:
            safety.validate()
        except ValueError as error:
            raise InputProblem("safety", str(error)) from None
        return safety


@strawberry.input(description="A segment's acquisition over a period; clv defaults to its "
                              "order revenue per member so far.")
class SegmentEconomicsInput:
    segment: str
    acquisition_spend: Decimal
    new_customers: int
    clv: Decimal | None = None


@strawberry.input
class PlanAllocationInput:
    category: str
    amount: Decimal


@strawberry.input
class SaveBudgetPlanInput:
    month: date = strawberry.field(description="Any day of the month; stored as its first.")
    allocations: list[PlanAllocationInput]


def budget_query(start: date | None, end: date | None,
                 model: AttributionModel | None) -> BudgetQuery:
    query = BudgetQuery(start=start, end=end, model=None if model is None else model.value)
    try:
        query.validate()
    except ValueError as error:
        raise InputProblem("from" if "from" in str(error) else "model", str(error)) from None
    return query


def limits_of(rows: Sequence[CategoryLimitInput] | None, field: str) -> dict[str, Limits]:
    limits: dict[str, Limits] = {}
    for i, row in enumerate(rows or []):
        if row.category in limits:
            raise InputProblem(f"{field}[{i}].category", f"{row.category!r} appears twice; "
                               "give each category once")
        limits[row.category] = Limits(min_share=row.min_share, max_share=row.max_share,
                                      fixed=None if row.fixed is None else float(row.fixed))
    return limits


def history_frame(rows: Sequence[HistoryRowInput]) -> pl.DataFrame:
    """The history as ``category, month, spend, revenue, conversions``."""
    if not rows or len(rows) > MAX_HISTORY_ROWS:
        raise InputProblem("history", f"give 1 to {MAX_HISTORY_ROWS:,} rows, got {len(rows)}")
    seen: set[tuple[str, str]] = set()
    with_conversions = [r.conversions is not None for r in rows]
    for i, r in enumerate(rows):
        if not r.category.strip():
            raise InputProblem(f"history[{i}].category", "is empty; name the category")
        if (r.category, r.period) in seen:
            raise InputProblem(f"history[{i}].period", f"{r.category} {r.period} appears "
                               "twice; give one row per category and period")
        seen.add((r.category, r.period))
        for name in ("spend", "revenue"):
            value = getattr(r, name)
            if not value.is_finite() or value < 0:
                raise InputProblem(f"history[{i}].{name}", f"{value} must be an amount >= 0")
        if r.conversions is not None and not r.conversions >= 0:
            raise InputProblem(f"history[{i}].conversions", f"{r.conversions} must be >= 0")
    if any(with_conversions) and not all(with_conversions):
        raise InputProblem("history", "give conversions on every row or on none")
    return pl.DataFrame({
        "category": [r.category for r in rows], "month": [r.period for r in rows],
        "spend": [float(r.spend) for r in rows], "revenue": [float(r.revenue) for r in rows],
        **({"conversions": [float(r.conversions or 0) for r in rows]}
           if all(with_conversions) else {})})


def problem_of(input: OptimizeBudgetInput, total: float) -> Problem:
    for name in ("min_share", "max_share"):
        value = getattr(input, name)
        if not 0 <= value <= 1:
            raise InputProblem(name.replace("_s", "S"), f"{value} must be a share within 0-1, "
                               "e.g. 0.05 for 5%")
    return Problem(
        total=total, objective=input.objective.value, min_share=input.min_share,
        max_share=input.max_share, limits=limits_of(input.limits, "limits"),
        roi_target=input.roi_target,
        cpa_target=None if input.cpa_target is None else float(input.cpa_target),
        clv=None if input.clv is None else float(input.clv),
        clv_cac_floor=input.clv_cac_floor)


def scenario_of(row: ScenarioInput, index: int) -> Scenario:
    if not row.name.strip():
        raise InputProblem(f"scenarios[{index}].name", "is empty; name the scenario")
    if not row.budget_factor > 0:
        raise InputProblem(f"scenarios[{index}].budgetFactor",
                           f"{row.budget_factor} must be > 0, e.g. 1.2 for 20% more")
    if row.focus is not None and row.focus not in ("content", "optimisation", "acquisition"):
        raise InputProblem(f"scenarios[{index}].focus", f"{row.focus!r} unknown; use "
                           "content, optimisation or acquisition")
    return Scenario(name=row.name, budget_factor=row.budget_factor, min_share=row.min_share,
                    max_share=row.max_share, focus=row.focus, focus_share=row.focus_share,
                    limits=limits_of(row.limits, f"scenarios[{index}].limits"),
                    description="user-defined")
