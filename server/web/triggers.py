"""Trigger pages: the list with the editor (start from a template or write the JSON),
pause and resume, and each trigger's firing log."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.operations import run_operation
from server.web.roles import has_role
from server.web.templating import render, render_error

TRIGGERS_QUERY = """
query TriggersPage {
  triggers { id name definition enabled priority cooldownSeconds maxFirings webhookUrl }
  triggerTemplates { id name description definition cooldown maxFirings }
}
"""

TRIGGER_QUERY = """
query TriggerPage($id: ID!, $status: String) {
  trigger(id: $id) { id name definition enabled priority cooldownSeconds maxFirings
                     webhookUrl createdAt }
  triggerFirings(triggerId: $id, status: $status, first: 200) {
    id customerId occasionKey status reason dueAt deliveredAt deliveryStatus }
}
"""

CREATE_TRIGGER = """
mutation CreateTrigger($input: TriggerInput!) {
  createTrigger(input: $input) {
    __typename
    ... on TriggerCreated { webhookSecret trigger { id name } }
    ... on TriggerRefused { field message }
  }
}
"""

SET_ENABLED = """
mutation SetTriggerEnabled($id: ID!, $enabled: Boolean!) {
  setTriggerEnabled(id: $id, enabled: $enabled) {
    __typename ... on TriggerRefused { message }
  }
}
"""

STATUSES = ("fired", "paused", "condition", "maximum", "cooldown")


def _can_edit(request: Request) -> bool:
    return has_role(request, "analyst")


async def _context(request: Request, form: dict[str, str] | None = None,
                   error: str | None = None, created: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    data = await run_operation(request, TRIGGERS_QUERY)
    return {"triggers": data["triggers"], "templates": data["triggerTemplates"],
            "form": form or {}, "error": error, "created": created,
            "can_edit": _can_edit(request)}


async def triggers_page(request: Request) -> Response:
    return render(request, "triggers.html", await _context(request))


def _input(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {"name": form.get("name", ""),
                              "priority": int(form.get("priority") or 0)}
    for field, key in (("definition", "definition"), ("template", "template"),
                       ("webhook_url", "webhookUrl"), ("cooldown", "cooldown")):
        if form.get(field, "").strip():
            values[key] = form[field].strip()
    if form.get("max_firings", "").strip():
        values["maxFirings"] = int(form["max_firings"])
    return values


async def create_trigger(request: Request) -> Response:
    """Create a trigger; the page then shows its webhook secret, this once."""
    form_data = await request.form()
    problem = csrf_problem(request, form_data)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    form = {name: str(form_data.get(name, "")) for name in (
        "name", "template", "definition", "webhook_url", "cooldown", "max_firings",
        "priority")}
    try:
        values = _input(form)
    except ValueError:
        context = await _context(request, form, "priority and maximum firings must be "
                                                "whole numbers")
        return render(request, "triggers.html", context, status_code=422)
    result = (await run_operation(request, CREATE_TRIGGER, {"input": values}))["createTrigger"]
    if result["__typename"] != "TriggerCreated":
        context = await _context(request, form, result.get("message"))
        return render(request, "triggers.html", context, status_code=422)
    return render(request, "triggers.html", await _context(request, created=result))


async def set_enabled(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    trigger_id = str(request.path_params["trigger_id"])
    enabled = str(form.get("enabled", "")) == "true"
    result = (await run_operation(request, SET_ENABLED,
                                  {"id": trigger_id, "enabled": enabled}))["setTriggerEnabled"]
    if result["__typename"] != "Trigger":
        return render_error(request, 404, "No such trigger", result["message"])
    return RedirectResponse(f"/triggers/{trigger_id}", status_code=303)


async def trigger_page(request: Request) -> Response:
    """One trigger and its firing log (``?status=`` filters it)."""
    status = request.query_params.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    data = await run_operation(request, TRIGGER_QUERY,
                               {"id": str(request.path_params["trigger_id"]), "status": status})
    if data["trigger"] is None:
        return render_error(request, 404, "No such trigger",
                            "There is no trigger with this id: the triggers page lists them.")
    return render(request, "trigger.html", {
        "trigger": data["trigger"], "firings": data["triggerFirings"], "status": status,
        "statuses": STATUSES, "can_edit": _can_edit(request)})
