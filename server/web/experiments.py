"""A campaign's experiment page: verdict, warnings, forest plot, the always-valid view by
day, and the analyst forms (settings, declare a winner). ``EXPERIMENT_ROUTES`` lists
these and the tool pages (``experiment_tools``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from analytics.experiments.campaign import DEFAULT_SETTINGS, GUARDRAIL_METRICS, PRIMARY_METRICS
from server.csrf import csrf_problem
from server.web.experiment_tools import (
    analyze_page,
    analyze_submit,
    experiments_index,
    plan_page,
    typed_number,
)
from server.web.experiment_view import (
    STATUS_TEXT,
    effect_rows,
    forest,
    sequential_charts,
    warnings,
)
from server.web.operations import run_operation
from server.web.roles import has_role, role_refusal
from server.web.templating import render, render_error

_EFFECT = ("variant controlValue variantValue difference differenceInterval { low high } "
           "relativeLift liftInterval { low high } pValue probabilityBetter significant")
_METRIC = f"metric metricType method control higherIsBetter intervalLevel effects {{ {_EFFECT} }}"
EXPERIMENT_QUERY = f"""
query ExperimentPage($id: ID!) {{
  experiment(campaignId: $id) {{
    campaignId campaignName startedAt horizonReached problem
    experiment {{ id status winner winnerLift winnerLiftInterval {{ low high }} forced
                 decisionReason declaredBy declaredAt webhookSentAt }}
    settings {{ primaryMetric method alpha correction minimumEffect effectScale guardrails
               plannedWeights {{ variant weight }} control horizonDays webhookUrl webhookHost
               saved }}
    variants {{ name subjectLine plannedWeight sent delivered opens clicks conversions
               unsubscribes complaints revenue }}
    analysis {{
      metric metricType method alpha control
      srm {{ observed plannedShares pValue mismatch }}
      primary {{ {_METRIC} }}
      guardrails {{ {_METRIC} }}
      bayesian {{ name mean probabilityBest expectedLoss probabilityBeatsControl }}
      peeking {{ looks naiveFalsePositiveRate firstNaiveRejection message }}
      verdict {{ status winner recommendation rules }}
    }}
    metrics {{ {_METRIC} }}
    monitor {{ intervalLevel stoppedAt looks {{ look day stop effects {{
      variant difference interval {{ low high }} adjustedPValue }} }} }}
  }}
}}
"""
CREATE = """
mutation SaveExperiment($input: CreateExperimentInput!) {
  createExperiment(input: $input) {
    __typename ... on Error { message } ... on InvalidInput { field }
  }
}
"""
DECLARE = """
mutation Declare($id: ID!, $variant: String!, $force: Boolean!, $reason: String) {
  declareWinner(campaignId: $id, variant: $variant, force: $force, reason: $reason) {
    __typename ... on Error { message } ... on InvalidInput { field }
    ... on WinnerDeclared { experiment { winner } webhookProblem }
  }
}
"""
METRIC_CHOICES = tuple(metric.upper() for metric in PRIMARY_METRICS)
GUARDRAIL_CHOICES = tuple(metric.upper() for metric in GUARDRAIL_METRICS)


async def _context(request: Request, campaign_id: str, flash: str | None = None,
                   error: str | None = None) -> dict[str, Any] | None:
    data = (await run_operation(request, EXPERIMENT_QUERY, {"id": campaign_id}))["experiment"]
    if data is None:
        return None
    analysis = data["analysis"]
    kind = analysis["metricType"] if analysis else "PROPORTION"
    alpha = data["settings"]["alpha"]
    return {
        "x": data, "analysis": analysis, "warnings": warnings(analysis),
        "status_text": STATUS_TEXT.get(analysis["verdict"]["status"], "") if analysis else "",
        "primary_rows": effect_rows(analysis["primary"]) if analysis else [],
        "metric_tables": [(m["metric"], effect_rows(m)) for m in data["metrics"]],
        "forest": forest(data["metrics"], label=f"Relative lift by metric and variant, "
                                                f"{data['campaignName']}"),
        "charts": sequential_charts(data["monitor"], kind, alpha),
        "can_edit": has_role(request, "analyst"), "flash": flash, "error": error,
        "metric_choices": METRIC_CHOICES, "guardrail_choices": GUARDRAIL_CHOICES,
    }


async def _page(request: Request, campaign_id: str, *, flash: str | None = None,
                error: str | None = None, status_code: int = 200) -> Response:
    context = await _context(request, campaign_id, flash, error)
    if context is None:
        return render_error(request, 404, "Campaign not found",
                            f"There is no campaign with id '{campaign_id}'. Pick one from the "
                            "campaigns page.")
    return render(request, "experiment.html", context, fragment="experiment",
                  status_code=status_code)


async def experiment_page(request: Request) -> Response:
    return await _page(request, request.path_params["campaign_id"])


async def _analyst_form(request: Request) -> tuple[FormData | None, Response | None]:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return None, render_error(request, 403, "Form expired", problem)
    return form, role_refusal(request, "analyst", "Changing an experiment")


def _number(form: FormData, name: str, default: float | None = None) -> float | None:
    value = typed_number(form.get(name), name)
    return default if value is None else value


def _settings_input(campaign_id: str, form: FormData) -> dict[str, Any]:
    weights = [{"variant": key.removeprefix("weight:"), "weight": _number(form, key)}
               for key in form if key.startswith("weight:") and str(form.get(key)).strip()]
    horizon = _number(form, "horizon_days")
    defaults = DEFAULT_SETTINGS
    effect = _number(form, "minimum_effect", defaults.minimum_effect) or 0.0
    scale = str(form.get("effect_scale") or defaults.effect_scale.upper())
    metric = str(form.get("primary_metric") or defaults.primary_metric.upper())
    # The form asks for percent (a 2% lift, or 2 percentage points of a rate); an
    # absolute change of revenue is an amount of money.
    if scale == "RELATIVE" or metric != "REVENUE_PER_RECIPIENT":
        effect /= 100
    return {
        "campaignId": campaign_id, "primaryMetric": metric,
        "method": str(form.get("method") or defaults.method.upper()),
        "alpha": _number(form, "alpha", defaults.alpha),
        "correction": str(form.get("correction") or defaults.correction.upper()),
        "minimumEffect": effect,
        "effectScale": scale, "guardrails": [str(g) for g in form.getlist("guardrails")],
        "plannedWeights": weights or None, "control": str(form.get("control") or "") or None,
        "horizonDays": None if horizon is None else int(horizon),
        "webhookUrl": str(form.get("webhook_url") or "").strip() or None,
    }


async def save_settings(request: Request) -> Response:
    campaign_id = request.path_params["campaign_id"]
    form, refusal = await _analyst_form(request)
    if refusal is not None or form is None:
        return refusal  # type: ignore[return-value]
    try:
        variables = {"input": _settings_input(campaign_id, form)}
    except ValueError as error:
        return await _page(request, campaign_id, error=str(error), status_code=422)
    result = (await run_operation(request, CREATE, variables))["createExperiment"]
    if result["__typename"] != "Experiment":
        return await _page(request, campaign_id, error=result["message"], status_code=422)
    return await _page(request, campaign_id, flash="Experiment settings saved.")


async def declare_winner(request: Request) -> Response:
    campaign_id = request.path_params["campaign_id"]
    form, refusal = await _analyst_form(request)
    if refusal is not None or form is None:
        return refusal  # type: ignore[return-value]
    variables = {"id": campaign_id, "variant": str(form.get("variant") or ""),
                 "force": form.get("force") in ("on", "true", "1"),
                 "reason": str(form.get("reason") or "").strip() or None}
    result = (await run_operation(request, DECLARE, variables))["declareWinner"]
    if result["__typename"] != "WinnerDeclared":
        return await _page(request, campaign_id, error=result["message"], status_code=409)
    flash = f"Winner '{result['experiment']['winner']}' declared."
    if result["webhookProblem"]:
        flash += " " + result["webhookProblem"]
    return await _page(request, campaign_id, flash=flash)


Endpoint = Callable[[Request], Awaitable[Response]]
EXPERIMENT_ROUTES: list[tuple[str, Endpoint, list[str]]] = [
    ("/experiments", experiments_index, ["GET"]),
    ("/experiments/plan", plan_page, ["GET"]),
    ("/experiments/analyze", analyze_page, ["GET"]),
    ("/experiments/analyze", analyze_submit, ["POST"]),
    ("/campaigns/{campaign_id}/experiment", experiment_page, ["GET"]),
    ("/campaigns/{campaign_id}/experiment/settings", save_settings, ["POST"]),
    ("/campaigns/{campaign_id}/experiment/winner", declare_winner, ["POST"]),
]
