"""The targets settings page: every metric's target, editable by admins.

Shares are typed in percent (22 for 22%), money as an amount; an empty field removes the
target. The form posts through ``setTargets``, so the page and the API refuse the same
values with the same messages.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.operations import run_operation
from server.web.roles import has_role, role_refusal
from server.web.templating import is_htmx, render, render_error

TARGETS_QUERY = """
query TargetsPage {
  targets {
    warningBand defaultWarningBand
    metrics { metric label target defaultTarget isDefault higherIsBetter format minimum maximum }
  }
}
"""
SET_TARGETS = """
mutation SetTargets($input: TargetsInput!) {
  setTargets(input: $input) {
    __typename
    ... on ValidationErrors { message errors { row column value message } }
  }
}
"""
RESET_TARGETS = "mutation ResetTargets { resetTargets { warningBand } }"


def _shown(value: float | None, fmt: str) -> str:
    if value is None:
        return ""
    shown = value * 100 if fmt == "PERCENT" else value
    return f"{shown:.6g}"


def _parsed(raw: str, fmt: str, label: str) -> float | None:
    text = raw.strip().replace(",", ".").removesuffix("%").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{label}: {raw!r} is not a number; type e.g. "
                         f"{'22 for 22%' if fmt == 'PERCENT' else '0.50'}, or leave it "
                         "empty for no target") from None
    return number / 100 if fmt == "PERCENT" else number


def _days(value: float) -> str:
    return f"{value:g} day" + ("" if value == 1 else "s")


async def _context(request: Request, errors: dict[str, str] | None = None,
                   saved: bool = False, entered: dict[str, str] | None = None
                   ) -> dict[str, Any]:
    targets = (await run_operation(request, TARGETS_QUERY))["targets"]
    rows = []
    for item in targets["metrics"]:
        name = item["metric"]
        shown = _shown(item["target"], item["format"])
        rows.append({**item, "shown": entered.get(name, shown) if entered else shown,
                     "default_shown": _shown(item["defaultTarget"], item["format"]),
                     "error": (errors or {}).get(name)})
    band = entered.get("warning_band") if entered else None
    settings = request.app.state.settings
    windows = {"click": _days(settings.attribution_click_days),
               "open": _days(settings.attribution_open_days),
               "delivery": _days(settings.attribution_delivery_days)}
    return {"rows": rows, "errors": errors or {}, "saved": saved, "windows": windows,
            "band": band if band is not None else _shown(targets["warningBand"], "PERCENT"),
            "default_band": _shown(targets["defaultWarningBand"], "PERCENT"),
            "can_edit": has_role(request, "admin")}


async def targets_page(request: Request) -> Response:
    context = await _context(request, saved=request.query_params.get("saved") == "1")
    return render(request, "targets.html", context, fragment="targets")


def _refused(request: Request) -> Response | None:
    return role_refusal(request, "admin", "Changing targets")


async def save_targets(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refused = _refused(request)
    if refused:
        return refused
    if form.get("reset") == "1":
        await run_operation(request, RESET_TARGETS)
        return _done(request)
    current = (await run_operation(request, TARGETS_QUERY))["targets"]["metrics"]
    entered = {item["metric"]: str(form.get(item["metric"], "")) for item in current}
    entered["warning_band"] = str(form.get("warning_band", ""))
    errors: dict[str, str] = {}
    changes = []
    for item in current:
        try:
            value = _parsed(entered[item["metric"]], item["format"], item["label"])
        except ValueError as error:
            errors[item["metric"]] = str(error)
            continue
        changes.append({"metric": item["metric"], "target": value})
    band = None
    try:
        band = _parsed(entered["warning_band"], "PERCENT", "Warning band")
    except ValueError as error:
        errors["warning_band"] = str(error)
    if not errors:
        result = (await run_operation(request, SET_TARGETS, {"input": {
            "targets": changes, "warningBand": band}}))["setTargets"]
        if result["__typename"] == "TargetSettings":
            return _done(request)
        for problem in result["errors"]:
            key = "warning_band" if problem["column"] == "warningBand" else \
                changes[problem["row"] - 1]["metric"]
            errors[key] = problem["message"]
    context = await _context(request, errors=errors, entered=entered)
    return render(request, "targets.html", context, fragment="targets", status_code=422)


def _done(request: Request) -> Response:
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": "/settings/targets?saved=1"})
    return RedirectResponse("/settings/targets?saved=1", status_code=303)
