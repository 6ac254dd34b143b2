"""The budget pages: which category returns what, the optimal allocation beside the
current one, each category's response curve with marginal ROI, scenarios, an allocation
editor whose sliders update the predicted revenue as they move, and the alerts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.attribution_chart import grouped_bars
from server.web.budget_charts import curve_chart
from server.web.operations import run_operation
from server.web.roles import has_role, role_refusal
from server.web.templating import render, render_error

MODELS = ("", "first_touch", "last_touch", "linear", "time_decay", "position_based",
          "markov", "shapley")
OBJECTIVES = ("revenue", "profit", "conversions")
# One resample count for every field of the page, so the curves are fitted once and
# shared (the runner caches by it).
PAGE_RESAMPLES = 50
CURVE_POINTS = 30
VENDOR_MONTHS = 6

_ALLOCATION = """
  __typename
  ... on BudgetInfeasible { message constraint category }
  ... on InvalidInput { field message }
  ... on BudgetAllocation {
    currency total spent heldBack heldBackReason revenue revenueLower revenueUpper
    conversions profit roiPercent cpa currentSpend currentRevenue warnings
    lines { category spend share revenue conversions marginalRoi bound currentSpend
            currentRevenue }
    evidence { kktSatisfied marginalSpread freeCategories binding { category bound }
               gridRevenue }
  }
"""
PAGE_QUERY = f"""
query BudgetPage($model: AttributionModel, $input: OptimizeBudgetInput!, $points: Int!) {{
  budget(model: $model) {{
    currency
    categories {{ category spend revenue conversions roiPercent cpa revenuePerEmail
                 consistency efficiency score }}
    curves(resamples: {PAGE_RESAMPLES}) {{
      category top halfSaturation shape adstockDecay months rSquared currentSpend
      currentRevenue marginalRoi warnings
      points(count: $points) {{ spend revenue revenueLower revenueUpper }}
    }}
    allocation(input: $input) {{ {_ALLOCATION} }}
    vendorCosts {{ vendor month spend costPerEmail }}
    contentRoi {{ contentType campaigns spend revenue roiPercent }}
  }}
  budgetScenarios(input: $input) {{
    name description total note
    allocation {{ revenue revenueLower revenueUpper conversions roiPercent cpa spent }}
    error {{ message constraint }}
  }}
}}
"""
ALERTS_QUERY = """
query BudgetAlerts($all: Boolean!) {
  budget {
    alerts(includeAcknowledged: $all) { id kind category month value threshold message
                                        raisedAt lastSeenAt acknowledgedAt acknowledgedBy }
    plans { month category allocated spent burnRate projected projectedOverspend remaining }
  }
}
"""
ACKNOWLEDGE = """
mutation Ack($id: ID!) {
  acknowledgeBudgetAlert(id: $id) { __typename ... on NotFound { message } }
}
"""
RUN_ALERTS = """
mutation RunAlerts {
  runBudgetAlerts { __typename ... on Job { id } ... on JobNotStarted { message } }
}
"""
SAVE_PLAN = """
mutation SavePlan($input: SaveBudgetPlanInput!) {
  saveBudgetPlan(input: $input) {
    __typename ... on InvalidInput { field message }
  }
}
"""


class FormError(ValueError):
    """A field the page cannot use; the message names it and the fix."""


@dataclass
class PageSettings:
    """The form's values as typed."""

    model: str = "last_touch"
    objective: str = "revenue"
    total: str = ""
    min_share: str = "5"
    max_share: str = "40"

    @classmethod
    def from_query(cls, params: QueryParams) -> PageSettings:
        values = cls()
        for name in ("model", "objective", "total", "min_share", "max_share"):
            if name in params:
                setattr(values, name, params[name].strip())
        return values

    def query_string(self) -> str:
        return urlencode(self.__dict__)

    def variables(self) -> dict[str, Any]:
        """GraphQL variables; raises FormError naming the field."""
        if self.model not in MODELS:
            raise FormError(f"Attribution: {self.model!r} is not an option; pick one of "
                            f"{', '.join(m or 'split by spend' for m in MODELS)}")
        if self.objective not in OBJECTIVES:
            raise FormError(f"Objective: {self.objective!r} is not an option; pick one of "
                            f"{', '.join(OBJECTIVES)}")
        total = None
        if self.total:
            try:
                total = Decimal(self.total.replace(",", ""))
            except InvalidOperation:
                raise FormError(f"Monthly budget: {self.total!r} is not an amount; type e.g. "
                                "25000, or leave it empty for the current spend") from None
            if not total > 0:
                raise FormError(f"Monthly budget: {self.total} must be above 0")
        shares = {}
        for name, label in (("min_share", "Minimum share"), ("max_share", "Maximum share")):
            try:
                shares[name] = float(getattr(self, name)) / 100
            except ValueError:
                raise FormError(f"{label}: {getattr(self, name)!r} is not a number; type a "
                                "percentage such as 5") from None
        model = self.model.upper() or None
        return {"model": model, "points": CURVE_POINTS, "input": {
            "model": model, "objective": self.objective.upper(),
            "total": None if total is None else str(total), "resamples": PAGE_RESAMPLES,
            "minShare": shares["min_share"], "maxShare": shares["max_share"]}}


def _float(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _curves(curves: list[dict[str, Any]], allocation: dict[str, Any] | None,
            currency: str) -> list[dict[str, Any]]:
    optimal = {}
    if allocation and allocation["__typename"] == "BudgetAllocation":
        optimal = {line["category"]: _float(line["spend"]) for line in allocation["lines"]}
    out = []
    for curve in curves:
        points = [{"spend": _float(p["spend"]), "revenue": _float(p["revenue"]),
                   "lower": _float(p["revenueLower"]), "upper": _float(p["revenueUpper"])}
                  for p in curve["points"]]
        out.append({**curve, "svg": curve_chart(
            curve["category"], points, current=_float(curve["currentSpend"]),
            optimal=optimal.get(curve["category"]), currency=currency)})
    return out


def _comparison(allocation: dict[str, Any]) -> Any:
    lines = allocation["lines"]
    values = {}
    for line in lines:
        values[(line["category"], "current")] = _float(line["currentSpend"])
        values[(line["category"], "optimal")] = _float(line["spend"])
    return grouped_bars([line["category"] for line in lines], ("current", "optimal"), values,
                        label="Monthly spend: current and optimal allocation")


def _latest_vendor_months(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Spend and cost per email by vendor over the latest ``VENDOR_MONTHS`` months."""
    months = sorted({row["month"] for row in rows})[-VENDOR_MONTHS:]
    vendors = sorted({row["vendor"] or "—" for row in rows if row["month"] in months})
    cells = {(row["vendor"] or "—", row["month"]): row for row in rows}
    return {"months": months, "rows": [
        {"vendor": vendor, "cells": [cells.get((vendor, month)) for month in months]}
        for vendor in vendors]}


def _editor(curves: list[dict[str, Any]], allocation: dict[str, Any] | None) -> dict[str, Any]:
    """The sliders' start values and the curve parameters the page's script evaluates."""
    start = {c["category"]: _float(c["currentSpend"]) for c in curves}
    if allocation and allocation["__typename"] == "BudgetAllocation":
        start = {line["category"]: _float(line["spend"]) for line in allocation["lines"]}
    total = sum(start.values())
    rows = [{"category": c["category"], "top": _float(c["top"]),
             "half": _float(c["halfSaturation"]), "shape": float(c["shape"]),
             "value": round(start.get(c["category"], 0.0), 2),
             "max": round(max(total, _float(c["currentSpend"]) * 3, 1.0), 2)}
            for c in curves]
    return {"rows": rows, "json": json.dumps(rows), "month": date.today().replace(
        day=1).isoformat()}


async def budget_page(request: Request) -> Response:
    settings = PageSettings.from_query(request.query_params)
    try:
        variables = settings.variables()
    except FormError as error:
        return render_error(request, 400, "Check the budget settings", str(error))
    data = await run_operation(request, PAGE_QUERY, variables)
    budget = data["budget"]
    allocation = budget["allocation"]
    currency = budget["currency"]
    feasible = allocation["__typename"] == "BudgetAllocation"
    context = {
        "form": settings, "models": MODELS, "objectives": OBJECTIVES, "currency": currency,
        "categories": budget["categories"], "allocation": allocation, "feasible": feasible,
        "comparison": _comparison(allocation) if feasible and allocation["lines"] else None,
        "curves": _curves(budget["curves"], allocation, currency),
        "scenarios": data["budgetScenarios"],
        "editor": _editor(budget["curves"], allocation),
        "vendors": _latest_vendor_months(budget["vendorCosts"]),
        "content": budget["contentRoi"],
        "can_edit": has_role(request, "analyst"),
    }
    return render(request, "budget.html", context, fragment="report")


def _refused(request: Request, form: Any) -> Response | None:
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    return role_refusal(request, "analyst", "Changing the budget")


async def save_plan(request: Request) -> Response:
    """The editor's sliders saved as a month's plan."""
    form = await request.form()
    refused = _refused(request, form)
    if refused:
        return refused
    categories = form.getlist("category")
    amounts = form.getlist("amount")
    allocations = []
    for category, amount in zip(categories, amounts, strict=False):
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            return render_error(request, 400, "Check the plan",
                                f"{category}: {amount!r} is not an amount; type e.g. 1500")
        allocations.append({"category": str(category), "amount": str(value)})
    month = str(form.get("month", ""))
    try:
        date.fromisoformat(month)
    except ValueError:
        return render_error(request, 400, "Check the plan",
                            f"Month: {month!r} is not a date; use YYYY-MM-DD")
    result = (await run_operation(request, SAVE_PLAN, {"input": {
        "month": month, "allocations": allocations}}))["saveBudgetPlan"]
    if result["__typename"] != "BudgetPlanSaved":
        return render_error(request, 400, "Check the plan", result["message"])
    return RedirectResponse("/budget/alerts?saved=1", status_code=303)


async def alerts_page(request: Request) -> Response:
    show_all = request.query_params.get("all") == "1"
    data = await run_operation(request, ALERTS_QUERY, {"all": show_all})
    context = {"alerts": data["budget"]["alerts"], "plans": data["budget"]["plans"],
               "show_all": show_all, "saved": request.query_params.get("saved") == "1",
               "started": request.query_params.get("started"),
               "can_edit": has_role(request, "analyst")}
    return render(request, "budget_alerts.html", context, fragment="alerts")


async def acknowledge(request: Request) -> Response:
    form = await request.form()
    refused = _refused(request, form)
    if refused:
        return refused
    result = (await run_operation(request, ACKNOWLEDGE, {
        "id": request.path_params["alert_id"]}))["acknowledgeBudgetAlert"]
    if result["__typename"] == "NotFound":
        return render_error(request, 404, "No such alert", result["message"])
    return RedirectResponse("/budget/alerts", status_code=303)


async def run_alerts(request: Request) -> Response:
    form = await request.form()
    refused = _refused(request, form)
    if refused:
        return refused
    result = (await run_operation(request, RUN_ALERTS))["runBudgetAlerts"]
    if result["__typename"] != "Job":
        return render_error(request, 503, "The alert check did not start", result["message"])
    return RedirectResponse(f"/budget/alerts?started={result['id']}", status_code=303)


BUDGET_ROUTES = (
    ("/budget", budget_page, ["GET"]),
    ("/budget/plan", save_plan, ["POST"]),
    ("/budget/alerts", alerts_page, ["GET"]),
    ("/budget/alerts/run", run_alerts, ["POST"]),
    ("/budget/alerts/{alert_id}/acknowledge", acknowledge, ["POST"]),
)
