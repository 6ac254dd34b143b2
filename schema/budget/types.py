"""Budget object types: category performance, response curves, allocations with their
optimality evidence, scenarios, plans, alerts and reallocation suggestions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import numpy as np
import strawberry

from analytics.budget import CategoryPerformance, CurveFit, Infeasible, Plan, Suggestion
from analytics.budget import ScenarioResult as ScenarioRun
from analytics.budget.plans import PlanStatus
from schema.attribution.types import money, optional_money
from schema.errors import Error
from server.db import models

MAX_CURVE_POINTS = 200


@strawberry.enum(description="What the optimiser maximises.")
class BudgetObjective(Enum):
    REVENUE = "revenue"
    PROFIT = strawberry.enum_value("profit", description="Revenue minus spend.")
    CONVERSIONS = "conversions"


@strawberry.enum(description="Spend breakdowns.")
class SpendDimension(Enum):
    CATEGORY = "category"
    COST_TYPE = "cost_type"
    VENDOR = "vendor"
    CAMPAIGN = "campaign_id"
    MONTH = "month"


@strawberry.type(description="A category's spend and what it returned. Efficiency = share "
                             "of revenue / share of spend (1 = its fair share; unchanged by "
                             "the currency); consistency = 1 / (1 + CV of the monthly "
                             "revenue/spend ratio); score = mean of ROI, efficiency and "
                             "consistency, each min-max scaled over the categories.")
class BudgetCategory:
    category: str
    spend: Decimal
    revenue: Decimal
    conversions: float
    roi_percent: float | None
    cpa: Decimal | None
    revenue_per_email: Decimal | None
    consistency: float | None
    efficiency: float | None
    score: float

    @classmethod
    def of(cls, row: CategoryPerformance) -> BudgetCategory:
        return cls(category=row.category, spend=money(row.spend), revenue=money(row.revenue),
                   conversions=row.conversions, roi_percent=row.roi_percent,
                   cpa=optional_money(row.cpa),
                   revenue_per_email=optional_money(row.revenue_per_email),
                   consistency=row.consistency, efficiency=row.efficiency, score=row.score)


@strawberry.type
class SpendRow:
    key: str | None
    amount: Decimal


@strawberry.type(description="Predicted monthly revenue at a steady monthly spend, with a "
                             "90% bootstrap interval.")
class CurvePoint:
    spend: Decimal
    revenue: Decimal
    revenue_lower: Decimal
    revenue_upper: Decimal
    marginal_roi: float


@strawberry.type(description="A category's fitted Hill curve R(s) = top * s^shape / (s^shape "
                             "+ halfSaturation^shape) against steady monthly spend.")
class ResponseCurve:
    category: str
    top: Decimal
    half_saturation: Decimal
    shape: float
    adstock_decay: float
    months: int
    r_squared: float | None
    current_spend: Decimal
    current_revenue: Decimal
    marginal_roi: float = strawberry.field(
        description="Revenue of the next unit at the current spend, minus the unit.")
    warnings: list[str]
    fit: strawberry.Private[CurveFit]

    @classmethod
    def of(cls, fit: CurveFit) -> ResponseCurve:
        return cls(category=fit.category, top=money(fit.curve.top),
                   half_saturation=money(fit.curve.half), shape=fit.curve.shape,
                   adstock_decay=fit.decay, months=fit.months, r_squared=fit.r_squared,
                   current_spend=money(fit.current_spend),
                   current_revenue=money(fit.current_revenue), marginal_roi=fit.marginal_roi,
                   warnings=list(fit.warnings), fit=fit)

    @strawberry.field(description="Points from 0 to maxSpend (default: three times the "
                                  "current spend).")
    def points(self, count: int = 25, max_spend: float | None = None) -> list[CurvePoint]:
        if not 2 <= count <= MAX_CURVE_POINTS:
            raise ValueError(f"count must be between 2 and {MAX_CURVE_POINTS}, got {count}")
        top = max_spend if max_spend is not None else 3 * max(self.fit.current_spend, 1.0)
        if not top > 0:
            raise ValueError(f"maxSpend must be > 0, got {max_spend}")
        out = []
        for s in np.linspace(0.0, top, count):
            low, high = self.fit.interval(float(s))
            out.append(CurvePoint(spend=money(float(s)),
                                  revenue=money(float(self.fit.curve.revenue(s))),
                                  revenue_lower=money(low), revenue_upper=money(high),
                                  marginal_roi=float(self.fit.curve.marginal(s)) - 1.0))
        return out


@strawberry.type
class AllocationLine:
    category: str
    spend: Decimal
    share: float
    revenue: Decimal
    conversions: float
    marginal_roi: float
    bound: str | None = strawberry.field(
        description="min, max, fixed or clv_floor when a bound holds the category; null "
                    "when it is free.")
    current_spend: Decimal
    current_revenue: Decimal


@strawberry.type
class BindingBound:
    category: str
    bound: str


@strawberry.type(description="Why the allocation is optimal: the marginal value is equal "
                             "(within the tolerance) across free categories, lower at a "
                             "minimum and higher at a maximum; with 3 categories or fewer a "
                             "grid search is run as a check.")
class OptimalityEvidence:
    kkt_satisfied: bool
    marginal_spread: float
    free_categories: list[str]
    binding: list[BindingBound]
    grid_revenue: Decimal | None


@strawberry.type(description="An allocation and its predicted monthly effect (90% interval), "
                             "beside the current allocation.")
class BudgetAllocation:
    objective: BudgetObjective
    currency: str
    total: Decimal
    spent: Decimal
    held_back: Decimal
    held_back_reason: str | None
    revenue: Decimal
    revenue_lower: Decimal
    revenue_upper: Decimal
    conversions: float
    profit: Decimal
    roi_percent: float | None
    cpa: Decimal | None
    current_spend: Decimal
    current_revenue: Decimal
    lines: list[AllocationLine]
    evidence: OptimalityEvidence
    warnings: list[str]

    @classmethod
    def of(cls, plan: Plan, currency: str) -> BudgetAllocation:
        e = plan.evidence
        return cls(
            objective=BudgetObjective(plan.objective), currency=currency,
            total=money(plan.total), spent=money(plan.spent), held_back=money(plan.held_back),
            held_back_reason=plan.held_back_reason, revenue=money(plan.revenue),
            revenue_lower=money(plan.revenue_lower), revenue_upper=money(plan.revenue_upper),
            conversions=plan.conversions, profit=money(plan.profit),
            roi_percent=plan.roi_percent, cpa=optional_money(plan.cpa),
            current_spend=money(plan.current_spend),
            current_revenue=money(plan.current_revenue),
            lines=[AllocationLine(category=x.category, spend=money(x.spend), share=x.share,
                                  revenue=money(x.revenue), conversions=x.conversions,
                                  marginal_roi=x.marginal_roi, bound=x.bound,
                                  current_spend=money(x.current_spend),
                                  current_revenue=money(x.current_revenue))
                   for x in plan.lines],
            evidence=OptimalityEvidence(
                kkt_satisfied=e.kkt_satisfied, marginal_spread=e.marginal_spread,
                free_categories=list(e.free_categories),
                binding=[BindingBound(category=c, bound=b) for c, b in e.binding],
                grid_revenue=optional_money(e.grid_revenue)),
            warnings=list(plan.warnings))


@strawberry.type(description="No allocation satisfies the constraints; constraint names "
                             "which (total, min_shares, max_shares, fixed_above_max, "
                             "fixed_total, clv_floor, target, categories, objective).")
class BudgetInfeasible(Error):
    constraint: str
    category: str | None

    @classmethod
    def of(cls, error: Infeasible) -> BudgetInfeasible:
        return cls(message=error.message, constraint=error.constraint, category=error.category)


@strawberry.type(description="A scenario's allocation, or why it has none.")
class ScenarioOutcome:
    name: str
    description: str
    total: Decimal
    note: str | None
    allocation: BudgetAllocation | None
    error: BudgetInfeasible | None

    @classmethod
    def of(cls, run: ScenarioRun, currency: str) -> ScenarioOutcome:
        return cls(name=run.scenario.name, description=run.scenario.description,
                   total=money(run.total), note=run.note,
                   allocation=None if run.plan is None else BudgetAllocation.of(run.plan,
                                                                                 currency),
                   error=None if run.error is None else BudgetInfeasible.of(run.error))


@strawberry.type(description="A month's plan for a category against its spend so far.")
class BudgetPlanLine:
    month: date
    category: str
    allocated: Decimal
    spent: Decimal
    burn_rate: float | None = strawberry.field(
        description="Share of the allocation spent / share of the month gone; 1 is on pace.")
    projected: Decimal
    projected_overspend: Decimal
    remaining: Decimal

    @classmethod
    def of(cls, month: date, status: PlanStatus) -> BudgetPlanLine:
        return cls(month=month, category=status.category, allocated=money(status.allocated),
                   spent=money(status.spent), burn_rate=status.burn_rate,
                   projected=money(status.projected),
                   projected_overspend=money(status.projected_overspend),
                   remaining=money(status.remaining))


@strawberry.type(name="BudgetAlert")
class BudgetAlertItem:
    id: strawberry.ID
    kind: str
    category: str
    month: date
    value: float
    threshold: float
    message: str
    raised_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @classmethod
    def from_row(cls, row: models.BudgetAlert) -> BudgetAlertItem:
        return cls(id=strawberry.ID(str(row.id)), kind=row.kind, category=row.category,
                   month=row.month, value=row.value, threshold=row.threshold,
                   message=row.message, raised_at=row.raised_at,
                   last_seen_at=row.last_seen_at, acknowledged_at=row.acknowledged_at,
                   acknowledged_by=row.acknowledged_by)


@strawberry.type
class ReallocationSuggestion:
    category: str
    current: Decimal
    suggested: Decimal
    change: Decimal
    reason: str

    @classmethod
    def of(cls, s: Suggestion) -> ReallocationSuggestion:
        return cls(category=s.category, current=money(s.current), suggested=money(s.suggested),
                   change=money(s.change), reason=s.reason)


@strawberry.type
class VendorCost:
    vendor: str | None
    month: date
    spend: Decimal
    cost_per_email: Decimal | None


@strawberry.type
class CostTypeMapping:
    cost_type: str
    category: str


@strawberry.type(description="A segment's acquisition economics: CAC = spend / new "
                             "customers, CLV:CAC, payback months = CAC / (CLV / lifetime "
                             "months), and the recommended change of its acquisition spend.")
class SegmentAcquisitionResult:
    segment: str
    cac: Decimal | None
    clv_cac: float | None
    payback_months: float | None
    recommendation: str
    change: float = strawberry.field(description="Fraction of the current spend.")
    suggested_spend: Decimal
    reason: str


@strawberry.type(description="Content spend (rows of the content category naming a campaign) "
                             "against those campaigns' last-touch revenue, by campaign type.")
class ContentRoi:
    content_type: str | None
    campaigns: int
    spend: Decimal
    revenue: Decimal
    roi_percent: float | None
