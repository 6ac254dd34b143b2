"""Budget optimisation: spend performance, response curves, the optimiser, scenarios,
plans with alerts, and reallocation. Pure: frames and numbers in, dataclasses out."""

from analytics.budget.curves import CurveFit, HillCurve, fit_curve
from analytics.budget.optimizer import (
    OBJECTIVES,
    Evidence,
    Infeasible,
    Limits,
    Line,
    Plan,
    Problem,
    Response,
    optimize,
)
from analytics.budget.performance import (
    DEFAULT_COST_TYPES,
    CategoryPerformance,
    categorise,
    category_performance,
    content_roi,
    spend_by,
)
from analytics.budget.plans import AlertDraft, PlanStatus, Thresholds, alerts, plan_status
from analytics.budget.reallocation import Safety, Standing, Suggestion, suggest
from analytics.budget.scenarios import PRESETS, Scenario, ScenarioResult, run_scenarios

__all__ = [
    "DEFAULT_COST_TYPES", "OBJECTIVES", "PRESETS", "AlertDraft", "CategoryPerformance",
    "CurveFit", "Evidence", "HillCurve", "Infeasible", "Limits", "Line", "Plan",
    "PlanStatus", "Problem", "Response", "Safety", "Scenario", "ScenarioResult", "Standing",
    "Suggestion", "Thresholds", "alerts", "categorise", "category_performance", "content_roi",
    "fit_curve", "optimize", "plan_status", "run_scenarios", "spend_by", "suggest",
]
