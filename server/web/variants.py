"""A campaign's variant-selection page: the allocation per variant (chart and table),
the off-policy open-rate estimates with intervals (chart and table), a run button with
live progress (analysts), and the report as CSV."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import polars as pl
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from server.csrf import csrf_problem
from server.web.charts import bar_chart
from server.web.operations import run_operation
from server.web.roles import has_role, role_refusal
from server.web.templating import render, render_error

UNFINISHED = {"QUEUED", "RUNNING"}
POLICY_NAMES = {"logged": "our policy (logged)", "uniform": "uniform",
                "best_predicted": "always best predicted"}
WIDTH, LABEL, RIGHT, ROW, TOP = 760, 230, 150, 24, 26

REPORT_QUERY = """
query VariantSelection($id: ID!, $first: Int!) {
  variantSelectionReport(campaignId: $id) {
    campaignId choices outcomes
    variants { variantId subjectLine choices meanPropensity sends opens openRate }
    estimates { policy method value lower upper n }
  }
  jobs(first: $first) { edges { node { id actor state progress detail error createdAt } } }
}
"""
SELECT = """
mutation Select($id: ID!) {
  selectVariants(campaignId: $id) { __typename ... on Job { id } ... on Error { message } }
}
"""


def interval_chart(rows: Sequence[dict[str, Any]], *, label: str) -> Markup:
    """Each estimate as a point with its interval on a shared 0..top open-rate axis."""
    top = float(max([0.05, *(min(1.0, r["upper"]) for r in rows)])) * 1.1
    plot = WIDTH - LABEL - RIGHT
    height = TOP + ROW * max(len(rows), 1) + 8

    def x(value: float) -> float:
        return LABEL + plot * max(0.0, min(value, top)) / top

    parts = [f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 '
             f'{WIDTH} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" '
             f'font-size="12"><title>{escape(label)}</title>']
    for tick in (0.0, top / 2, top):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP - 6}" '
                     f'y2="{height - 8}" stroke="#e4e7ec"/><text x="{x(tick):.1f}" '
                     f'y="{TOP - 10}" text-anchor="middle">{tick:.0%}</text>')
    for i, row in enumerate(rows):
        y = TOP + ROW * i + ROW / 2
        name = f"{POLICY_NAMES.get(row['policy'], row['policy'])} · {row['method'].upper()}"
        note = f"{row['value']:.1%} ({row['lower']:.1%} to {row['upper']:.1%})"
        parts.append(f'<g class="estimate"><title>{escape(name)}: {escape(note)}</title>'
                     f'<text x="{LABEL - 8}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(name)}</text><line x1="{x(row["lower"]):.1f}" '
                     f'x2="{x(row["upper"]):.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#475467" '
                     f'stroke-width="3"/><circle cx="{x(row["value"]):.1f}" cy="{y:.1f}" '
                     f'r="4.5" fill="#1f6feb"/><text x="{WIDTH - RIGHT + 8}" y="{y + 4:.1f}">'
                     f'{escape(note)}</text></g>')
    parts.append("</svg>")
    # Safe: every text above went through escape(); the rest are numbers formatted here.
    return Markup("".join(parts))  # noqa: S704


async def _context(request: Request, error: str | None = None) -> dict[str, Any] | None:
    campaign_id = request.path_params["campaign_id"]
    data = await run_operation(request, REPORT_QUERY, {"id": campaign_id, "first": 30})
    report = data["variantSelectionReport"]
    if report is None:
        return None
    jobs = [edge["node"] for edge in data["jobs"]["edges"]
            if edge["node"]["actor"] == "select_variants"][:5]
    for job in jobs:
        job["percent"] = (100 if job["state"] == "DONE"
                          else round(max(0.0, min(job["progress"], 1.0)) * 100))
    total = report["choices"] or 1
    allocation = bar_chart([(row["variantId"], row["choices"] / total)
                            for row in report["variants"]],
                           title="Share of customers given each variant")
    return {"campaign_id": campaign_id, "report": report, "jobs": jobs, "error": error,
            "allocation_chart": allocation if report["choices"] else None,
            "estimate_chart": interval_chart(report["estimates"],
                                             label="Estimated open rate by policy (95%)")
            if report["estimates"] else None,
            "policy_names": POLICY_NAMES,
            "live": any(job["state"] in UNFINISHED for job in jobs),
            "can_run": has_role(request, "analyst")}


def _missing(request: Request) -> Response:
    campaign_id = request.path_params["campaign_id"]
    return render_error(request, 404, "No such campaign",
                        f"No campaign has id {campaign_id!r}. Pick one on /campaigns.")


async def variants_page(request: Request) -> Response:
    context = await _context(request)
    if context is None:
        return _missing(request)
    return render(request, "variants.html", context, fragment="report")


async def run_selection(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refusal = role_refusal(request, "analyst", "Choosing variants")
    if refusal is not None:
        return refusal
    result = (await run_operation(request, SELECT,
                                  {"id": request.path_params["campaign_id"]}))["selectVariants"]
    error = None if result["__typename"] == "Job" else result["message"]
    context = await _context(request, error=error)
    if context is None:
        return _missing(request)
    return render(request, "variants.html", context, fragment="report",
                  status_code=200 if error is None else 400)


def report_frame(report: dict[str, Any]) -> pl.DataFrame:
    """One row per variant, then one per (policy, method) estimate."""
    rows = [{"kind": "variant", "name": row["variantId"], "choices": row["choices"],
             "mean_propensity": row["meanPropensity"], "sends": row["sends"],
             "opens": row["opens"], "open_rate": row["openRate"], "method": None,
             "estimate": None, "lower": None, "upper": None, "n": None}
            for row in report["variants"]]
    rows += [{"kind": "estimate", "name": row["policy"], "choices": None,
              "mean_propensity": None, "sends": None, "opens": None, "open_rate": None,
              "method": row["method"], "estimate": row["value"], "lower": row["lower"],
              "upper": row["upper"], "n": row["n"]} for row in report["estimates"]]
    return pl.DataFrame(rows, schema={
        "kind": pl.String, "name": pl.String, "choices": pl.Int64,
        "mean_propensity": pl.Float64, "sends": pl.Int64, "opens": pl.Int64,
        "open_rate": pl.Float64, "method": pl.String, "estimate": pl.Float64,
        "lower": pl.Float64, "upper": pl.Float64, "n": pl.Int64})


async def export_csv(request: Request) -> Response:
    context = await _context(request)
    if context is None:
        return _missing(request)
    buffer = io.BytesIO()
    report_frame(context["report"]).write_csv(buffer)
    name = "variant-selection-" + re.sub(r"[^A-Za-z0-9_.-]", "_", context["campaign_id"])
    name += ".csv"
    return Response(buffer.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


VARIANT_ROUTES: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
    ("/campaigns/{campaign_id}/variants", variants_page, ["GET"]),
    ("/campaigns/{campaign_id}/variants", run_selection, ["POST"]),
    ("/campaigns/{campaign_id}/variants.csv", export_csv, ["GET"]),
]
