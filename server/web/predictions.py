"""The predictions pages: model versions with a train button and live progress, the
customers' best send times with a recompute button, one
version's metrics, calibration and importance with an activate button, and a
customer's scores with the explanation of their churn score."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.campaign_optimisation import optimisation_panel
from server.web.charts import bar_chart
from server.web.operations import run_operation
from server.web.prediction_charts import calibration_chart
from server.web.roles import has_role, role_refusal
from server.web.templating import is_htmx, render, render_error

RECENT_JOBS = 30
UNFINISHED = {"QUEUED", "RUNNING"}
PREDICTION_JOBS = {"train_model", "score_customers", "score_send_times"}
METRICS = (("auc", "AUC", "higher is better"), ("prAuc", "PR-AUC", "higher is better"),
           ("logLoss", "Log loss", "lower is better"), ("brier", "Brier", "lower is better"),
           ("ece", "Calibration error", "lower is better"))
LIFETIME_METRICS = (("rmse", "RMSE", "lower is better"), ("mae", "MAE", "lower is better"),
                    ("msle", "MSLE", "lower is better"),
                    ("correlation", "Correlation", "higher is better"),
                    ("bias", "Bias (Σpredicted/Σactual − 1)", "closer to 0 is better"))
KINDS = {"churn": "CHURN", "ltv": "LTV", "open": "OPEN", "click": "CLICK"}
TITLES = {"CHURN": ("Churn", "churned"), "LTV": ("Lifetime value", ""),
          "OPEN": ("Open", "opened"), "CLICK": ("Click", "clicked")}

LIST_QUERY = """
query PredictionModels($first: Int!) {
  models { id kind served reason active createdAt horizonDays trainRows
           metrics { model { auc logLoss } baseline { auc logLoss } }
           lifetimeMetrics { model { rmse } baseline { rmse } } }
  jobs(first: $first) { edges { node { id actor state progress detail error createdAt } } }
  sendTimes { computedAt customers sources { source customers } customersByHour }
}
"""
COMPUTE_SEND_TIMES = """
mutation { computeSendTimes { __typename ... on Job { id } ... on Error { message } } }
"""
TRAIN = """
mutation Train($kind: ModelKind!, $horizonDays: Int) {
  trainModel(kind: $kind, horizonDays: $horizonDays) {
    __typename ... on Job { id } ... on Error { message }
  }
}
"""
DETAIL_QUERY = """
query PredictionModel($id: ID!) {
  model(id: $id) {
    id kind served reason active createdAt activatedAt dataFrom trainCutoff holdoutCutoff
    dataTo horizonDays trainRows holdoutRows checksum
    metrics { holdoutCustomers positiveRate
              model { auc prAuc logLoss brier ece } baseline { auc prAuc logLoss brier ece } }
    lifetimeMetrics { holdoutCustomers model { rmse mae msle correlation bias }
                      baseline { rmse mae msle correlation bias }
                      bgnbdR bgnbdAlpha bgnbdA bgnbdB gammaGammaP gammaGammaQ
                      gammaGammaGamma }
    calibration { model { lower upper count meanPredicted observedRate }
                  baseline { lower upper count meanPredicted observedRate } }
    featureImportance { feature share }
  }
  modelDrift(id: $id) { feature psi drifted }
}
"""
ACTIVATE = """
mutation Activate($id: ID!) {
  activateModel(id: $id) { __typename ... on ModelVersion { id } ... on Error { message } }
}
"""
CUSTOMER_QUERY = """
query PredictionCustomer($id: ID!) {
  customer(id: $id) {
    id email firstName lastName
    scores { kind modelVersion asOf probability riskLevel expectedOrders predictedValue
             pAlive bestSendHour bestSendWeekday sendTimeSource timezone }
    explain(kind: CHURN) { served baseValue prediction
                           contributions { feature value contribution } }
  }
}
"""


def _can_train(request: Request) -> bool:
    return has_role(request, "analyst")


async def _list_context(request: Request, error: str | None = None) -> dict[str, Any]:
    data = await run_operation(request, LIST_QUERY, {"first": RECENT_JOBS})
    jobs = [edge["node"] for edge in data["jobs"]["edges"]
            if edge["node"]["actor"] in PREDICTION_JOBS]
    for job in jobs:
        done = job["state"] == "DONE"
        job["percent"] = 100 if done else round(max(0.0, min(job["progress"], 1.0)) * 100)
        job["state"] = job["state"].lower()
    models = [{**model, "holdout": _holdout_summary(model)} for model in data["models"]]
    timing = data["sendTimes"]
    hours = [(f"{hour:02d}:00", count / (timing["customers"] or 1))
             for hour, count in enumerate(timing["customersByHour"]) if count]
    return {"models": models, "jobs": jobs[:10], "error": error, "send_times": timing,
            "send_time_chart": bar_chart(hours, title="Share of customers by best local "
                                                      "send hour") if hours else None,
            "live": any(job["state"].upper() in UNFINISHED for job in jobs),
            "can_train": _can_train(request)}


def _holdout_summary(model: dict[str, Any]) -> tuple[str, str]:
    """(served model's, baseline's) headline holdout figures for the list."""
    if model["metrics"] is not None:
        ours, theirs = model["metrics"]["model"], model["metrics"]["baseline"]
        return (f"AUC {ours['auc']:.3f} · log loss {ours['logLoss']:.4f}",
                f"AUC {theirs['auc']:.3f} · log loss {theirs['logLoss']:.4f}")
    ours, theirs = (model["lifetimeMetrics"]["model"], model["lifetimeMetrics"]["baseline"])
    return f"RMSE {ours['rmse']:.2f}", f"RMSE {theirs['rmse']:.2f}"


async def models_page(request: Request) -> Response:
    return render(request, "predictions.html", await _list_context(request),
                  fragment="models")


async def train(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refusal = role_refusal(request, "analyst", "Training a model")
    if refusal is not None:
        return refusal
    horizon = str(form.get("horizon_days") or "").strip()
    kind = KINDS.get(str(form.get("kind") or "churn"))
    if kind is None:
        context = await _list_context(request, error=f"kind {form.get('kind')!r} is unknown; "
                                                     "choose churn, ltv, open or click")
        return render(request, "predictions.html", context, fragment="models",
                      status_code=400)
    if horizon and not horizon.isdigit():
        context = await _list_context(request, error=f"horizon days {horizon!r} is not a "
                                                     "whole number; e.g. 60")
        return render(request, "predictions.html", context, fragment="models",
                      status_code=400)
    result = (await run_operation(request, TRAIN,
                                  {"kind": kind,
                                   "horizonDays": int(horizon) if horizon else None}))
    outcome = result["trainModel"]
    if outcome["__typename"] != "Job":
        context = await _list_context(request, error=outcome.get("message") or "Not started.")
        return render(request, "predictions.html", context, fragment="models",
                      status_code=409)
    if not is_htmx(request):
        return RedirectResponse("/predictions", status_code=303)
    return render(request, "predictions.html", await _list_context(request),
                  fragment="models")


async def compute_send_times(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refusal = role_refusal(request, "analyst", "Computing send times")
    if refusal is not None:
        return refusal
    outcome = (await run_operation(request, COMPUTE_SEND_TIMES, {}))["computeSendTimes"]
    if outcome["__typename"] != "Job":
        context = await _list_context(request, error=outcome.get("message") or "Not started.")
        return render(request, "predictions.html", context, fragment="models",
                      status_code=409)
    if not is_htmx(request):
        return RedirectResponse("/predictions", status_code=303)
    return render(request, "predictions.html", await _list_context(request),
                  fragment="models")


def _metric_rows(metrics: dict[str, Any],
                 names: tuple[tuple[str, str, str], ...]) -> list[dict[str, Any]]:
    rows = []
    for key, label, better in names:
        model, baseline = metrics["model"][key], metrics["baseline"][key]
        if better.startswith("higher"):
            wins = model > baseline
        elif better.startswith("lower"):
            wins = model < baseline
        else:
            wins = abs(model) < abs(baseline)
        rows.append({"label": label, "model": model, "baseline": baseline, "better": better,
                     "model_wins": wins})
    return rows


async def model_page(request: Request) -> Response:
    model_id = str(request.path_params["model_id"])
    data = await run_operation(request, DETAIL_QUERY, {"id": model_id})
    model = data["model"]
    if model is None:
        return render_error(request, 404, "No such model",
                            f"There is no model version {model_id}; pick one from the list "
                            "at /predictions.")
    importance = [(row["feature"], row["share"]) for row in model["featureImportance"][:12]]
    calibration = model["calibration"]
    served = model["served"].lower()
    lifetime = model["lifetimeMetrics"]
    rows = (_metric_rows(lifetime, LIFETIME_METRICS) if lifetime is not None
            else _metric_rows(model["metrics"], METRICS))
    context = {
        "model": model, "metric_rows": rows, "lifetime": lifetime,
        "title": TITLES[model["kind"]][0], "outcome": TITLES[model["kind"]][1],
        "baseline_name": "BG/NBD + Gamma-Gamma" if lifetime is not None else "Baseline",
        "served": served, "drift": data["modelDrift"],
        "drifted": [row["feature"] for row in data["modelDrift"] if row["drifted"]],
        "can_activate": _can_train(request) and not model["active"],
        "calibration_chart": None if lifetime is not None else calibration_chart(
            [("LightGBM", calibration["model"]), ("baseline", calibration["baseline"])],
            title="Calibration on the holdout"),
        "importance_chart": bar_chart(importance, title="Feature importance (share of gain)"),
    }
    return render(request, "prediction_model.html", context)


async def activate(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refusal = role_refusal(request, "analyst", "Activating a model")
    if refusal is not None:
        return refusal
    model_id = str(request.path_params["model_id"])
    outcome = (await run_operation(request, ACTIVATE, {"id": model_id}))["activateModel"]
    if outcome["__typename"] != "ModelVersion":
        return render_error(request, 404, "No such model", outcome["message"])
    return RedirectResponse(f"/predictions/{model_id}", status_code=303)


async def customer_page(request: Request) -> Response:
    customer_id = request.path_params["customer_id"]
    customer = (await run_operation(request, CUSTOMER_QUERY, {"id": customer_id}))["customer"]
    if customer is None:
        return render_error(request, 404, "No such customer",
                            f"There is no customer {customer_id!r}; check the id.")
    explanation = customer["explain"]
    chart = None
    if explanation is not None:
        chart = bar_chart(
            [(f"{c['feature']} {'raises' if c['contribution'] > 0 else 'lowers'}",
              abs(c["contribution"])) for c in explanation["contributions"]],
            title="Push on the churn log-odds", value_format=lambda v: f"{v:.3f}")
    return render(request, "prediction_customer.html",
                  {"customer": customer, "explanation": explanation, "chart": chart})


PREDICTION_ROUTES: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
    ("/predictions", models_page, ["GET"]),
    ("/predictions", train, ["POST"]),
    ("/predictions/send-times", compute_send_times, ["POST"]),
    ("/predictions/customers/{customer_id}", customer_page, ["GET"]),
    ("/campaigns/{campaign_id}/optimisation", optimisation_panel, ["GET"]),
    ("/predictions/{model_id:int}", model_page, ["GET"]),
    ("/predictions/{model_id:int}/activate", activate, ["POST"]),
]
