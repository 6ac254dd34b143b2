"""Experiment tools: the index of A/B campaigns, the planner (updates as you type) and
the "paste numbers" analyzer for analysts."""

from __future__ import annotations

import csv
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.csrf import csrf_problem
from server.web.experiment_view import (
    STATUS_TEXT,
    effect_rows,
    forest,
    sequential_charts,
    warnings,
)
from server.web.operations import run_operation
from server.web.roles import role_refusal
from server.web.templating import render, render_error

INDEX_QUERY = """
query ExperimentIndex { campaigns(first: 100) { edges { node {
  id name sendAt variants { id subjectLine } } } } }
"""
PLAN_QUERY = """
query Plan($input: PlanExperimentInput!) { planExperiment(input: $input) {
  __typename
  ... on ExperimentPlan { baseline target absoluteEffect effectSize alphaPerComparison power
                          variants perVariant total dailyVolume days currentPower }
  ... on InvalidInput { field message } } }
"""
_EFFECT = ("variant controlValue variantValue difference differenceInterval { low high } "
           "relativeLift liftInterval { low high } pValue probabilityBetter significant")
_METRIC = f"metric metricType method control higherIsBetter intervalLevel effects {{ {_EFFECT} }}"
ANALYZE_QUERY = f"""
query Analyze($input: AnalyzeExperimentInput!) {{ analyzeExperiment(input: $input) {{
  __typename
  ... on InvalidInput {{ field message }}
  ... on AnalyzedExperiment {{
    stoppedAt stoppingRule
    looks {{ look status stop }}
    analysis {{
      metric metricType method alpha control
      srm {{ observed plannedShares pValue mismatch }}
      chiSquare {{ statistic pValue }}
      primary {{ {_METRIC} }}
      guardrails {{ {_METRIC} }}
      sequential {{ intervalLevel stoppedAt looks {{ look day stop effects {{
        variant difference interval {{ low high }} adjustedPValue }} }} }}
      bayesian {{ name mean probabilityBest expectedLoss probabilityBeatsControl }}
      peeking {{ looks naiveFalsePositiveRate firstNaiveRejection message }}
      verdict {{ status winner recommendation rules }}
    }}
  }} }} }}
"""
PLAN_DEFAULTS = {"metric": "rate", "baseline": "5", "effect": "10", "scale": "relative",
                 "std": "", "alpha": "0.05", "power": "0.8", "variants": "2",
                 "daily_volume": "10000", "current_control": "", "current_variant": ""}


async def experiments_index(request: Request) -> Response:
    data = await run_operation(request, INDEX_QUERY)
    campaigns = [edge["node"] for edge in data["campaigns"]["edges"]
                 if len(edge["node"]["variants"]) >= 2]
    return render(request, "experiments.html", {"campaigns": campaigns})


def typed_number(raw: object, label: str) -> float | None:
    """A number typed into a form field: None when left blank, else its value; a
    ValueError naming the field and what was typed when it is not a number."""
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{label}: '{text}' is not a number") from None


def _plan_input(values: dict[str, str]) -> dict[str, Any]:
    """The planner form as planExperiment input; rates are entered in percent."""
    def number(name: str, label: str) -> float | None:
        return typed_number(values[name], label)

    def whole(name: str, label: str) -> int | None:
        value = number(name, label)
        if value is not None and not value.is_integer():
            raise ValueError(f"{label}: '{values[name]}' is not a whole number")
        return None if value is None else int(value)

    rate = values["metric"] != "mean"
    relative = values["scale"] != "absolute"
    baseline = number("baseline", "Baseline") or 0.0
    effect = number("effect", "Minimum effect") or 0.0
    return {
        "metricType": "PROPORTION" if rate else "MEAN",
        "baseline": baseline / 100 if rate else baseline,
        "minimumEffect": effect / 100 if relative or rate else effect,
        "relative": relative, "standardDeviation": None if rate else number("std", "Std dev"),
        "alpha": number("alpha", "Alpha") or 0.0, "power": number("power", "Power") or 0.0,
        "variants": whole("variants", "Variants") or 0,
        "dailyVolume": whole("daily_volume", "Sends per day"),
        "currentControlN": whole("current_control", "Control so far"),
        "currentVariantN": whole("current_variant", "Variant so far"),
    }


async def plan_page(request: Request) -> Response:
    params = request.query_params
    values = {name: params.get(name, default) for name, default in PLAN_DEFAULTS.items()}
    plan, error = None, None
    try:
        result = (await run_operation(request, PLAN_QUERY,
                                      {"input": _plan_input(values)}))["planExperiment"]
    except ValueError as problem:
        result = {"__typename": "InvalidInput", "message": str(problem)}
    if result["__typename"] == "ExperimentPlan":
        plan = result
    else:
        error = result["message"]
    return render(request, "experiment_plan.html",
                  {"values": values, "plan": plan, "error": error}, fragment="plan_result")


def _rows(text: str, label: str, width: int) -> list[list[str]]:
    rows = []
    for number, row in enumerate(csv.reader(text.strip().splitlines()), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) != width:
            raise ValueError(f"{label} line {number}: expected {width} comma-separated values, "
                             f"got {len(cells)} ({', '.join(cells)})")
        rows.append([str(number), *cells])
    return rows


def _variant(row: list[str], label: str, mean: bool) -> dict[str, Any]:
    number, name, *numbers = row
    try:
        n = int(numbers[0])
        if mean:
            return {"name": name, "n": n, "sum": float(numbers[1]),
                    "sumSquares": float(numbers[2])}
        return {"name": name, "n": n, "conversions": int(numbers[1])}
    except ValueError:
        kind = "n, sum, sum of squares" if mean else "n and conversions as whole numbers"
        raise ValueError(f"{label} line {number}: give {kind} "
                         f"(got {', '.join(numbers)})") from None


def _analyze_input(form: Any) -> dict[str, Any]:
    mean = form.get("metric_type") == "MEAN"
    width = 4 if mean else 3
    variants = [_variant(r, "Variants", mean)
                for r in _rows(str(form.get("variants") or ""), "Variants", width)]
    looks: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(str(form.get("looks") or ""), "Looks", width + 1):
        number, look, *rest = row
        looks.setdefault(look, []).append(_variant([number, *rest], "Looks", mean))
    if not variants and looks:
        variants = list(looks.values())[-1]
    weights = [cell.strip() for cell in str(form.get("weights") or "").split(",") if cell.strip()]
    try:
        parsed_weights = [float(w) for w in weights] or None
        alpha = float(str(form.get("alpha") or "0.05"))
    except ValueError:
        raise ValueError("Planned split and alpha must be numbers, e.g. '50, 50' and "
                         "0.05") from None
    return {"variants": variants, "metricType": "MEAN" if mean else "PROPORTION",
            "method": str(form.get("method") or "FIXED"),
            "correction": str(form.get("correction") or "HOLM"), "alpha": alpha,
            "weights": parsed_weights, "looks": list(looks.values()) or None}


async def analyze_page(request: Request) -> Response:
    return render(request, "experiment_analyze.html",
                  {"form": {}, "result": None, "error": None, "view": None})


async def analyze_submit(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refusal = role_refusal(request, "analyst", "The analyzer")
    if refusal is not None:
        return refusal
    context: dict[str, Any] = {"form": dict(form), "result": None, "error": None, "view": None}
    try:
        variables = {"input": _analyze_input(form)}
    except ValueError as error:
        context["error"] = str(error)
        return render(request, "experiment_analyze.html", context, fragment="analysis",
                      status_code=422)
    result = (await run_operation(request, ANALYZE_QUERY, variables))["analyzeExperiment"]
    if result["__typename"] != "AnalyzedExperiment":
        context["error"] = f"{result['field']}: {result['message']}"
        return render(request, "experiment_analyze.html", context, fragment="analysis",
                      status_code=422)
    analysis = result["analysis"]
    context["result"] = result
    context["view"] = {
        "warnings": warnings(analysis),
        "status_text": STATUS_TEXT.get(analysis["verdict"]["status"], ""),
        "rows": effect_rows(analysis["primary"]),
        "forest": forest([analysis["primary"]], label="Relative lift of each variant"),
        "charts": sequential_charts(analysis["sequential"], analysis["metricType"],
                                    analysis["alpha"]),
    }
    return render(request, "experiment_analyze.html", context, fragment="analysis")
