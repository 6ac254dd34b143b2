"""Trigger pages: the list with the new-trigger form (start from a template or write the
JSON), pause, resume and archive, each trigger's versions and firing log, and the firing
log of every trigger, filterable and paginated (the editor is ``trigger_editor``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.operations import run_operation
from server.web.roles import has_role, role_refusal
from server.web.templating import render, render_error

TRIGGERS_QUERY = """
query TriggersPage {
  triggers { id name definition enabled priority cooldownSeconds maxFirings webhookUrl }
  everything: triggers(archived: true) { id name archivedAt }
  triggerTemplates { id name description definition cooldown maxFirings }
}
"""

_LOG = """
  triggerFirings(triggerId: $id, customerId: $customer, status: $status, since: $since,
                 until: $until, first: 50, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id triggerId triggerVersion customerId occasionKey status reason dueAt
                   deliveredAt deliveryStatus } } }
"""

TRIGGER_QUERY = """
query TriggerPage($id: ID!, $status: String, $customer: ID, $since: DateTime,
                  $until: DateTime, $after: String) {
  trigger(id: $id) { id name definition enabled priority cooldownSeconds maxFirings
                     webhookUrl createdAt version archivedAt
                     versions { version name definition enabled priority cooldownSeconds
                                maxFirings webhookUrl savedAt } }
""" + _LOG + "}"

FIRINGS_QUERY = """
query FiringLog($id: ID, $status: String, $customer: ID, $since: DateTime,
                $until: DateTime, $after: String) {
  triggers(archived: true) { id name }
""" + _LOG + "}"

ARCHIVE = """
mutation ArchiveTrigger($id: ID!) {
  archiveTrigger(id: $id) { __typename ... on TriggerRefused { message } }
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

STATUSES = ("fired", "paused", "condition", "exited", "reentry", "maximum", "cooldown",
            "frequency_cap")


def _can_edit(request: Request) -> bool:
    return has_role(request, "analyst")


async def guarded_form(request: Request, action: str) -> FormData | Response:
    """The posted form when its CSRF token holds and the key may write triggers
    (analyst); else the refusal to send back."""
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    return role_refusal(request, "analyst", action) or form


async def _context(request: Request, form: dict[str, str] | None = None,
                   error: str | None = None, created: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    data = await run_operation(request, TRIGGERS_QUERY)
    return {"triggers": data["triggers"], "templates": data["triggerTemplates"],
            "archived": [t for t in data["everything"] if t["archivedAt"]],
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
    form_data = await guarded_form(request, "Creating a trigger")
    if isinstance(form_data, Response):
        return form_data
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
    form = await guarded_form(request, "Pausing or resuming a trigger")
    if isinstance(form, Response):
        return form
    trigger_id = str(request.path_params["trigger_id"])
    enabled = str(form.get("enabled", "")) == "true"
    result = (await run_operation(request, SET_ENABLED,
                                  {"id": trigger_id, "enabled": enabled}))["setTriggerEnabled"]
    if result["__typename"] != "Trigger":
        return render_error(request, 404, "No such trigger", result["message"])
    return RedirectResponse(f"/triggers/{trigger_id}", status_code=303)


async def archive(request: Request) -> Response:
    """Archive a trigger (for good: its log stays)."""
    refused = await guarded_form(request, "Archiving a trigger")
    if isinstance(refused, Response):
        return refused
    trigger_id = str(request.path_params["trigger_id"])
    result = (await run_operation(request, ARCHIVE, {"id": trigger_id}))["archiveTrigger"]
    if result["__typename"] != "Trigger":
        return render_error(request, 404, "No such trigger", result["message"])
    return RedirectResponse(f"/triggers/{trigger_id}", status_code=303)


def _day(value: str, name: str, problems: list[str]) -> str | None:
    """An ISO date (``2026-03-01``) from the filter form as the start of that UTC day."""
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat() + "T00:00:00Z"
    except ValueError:
        problems.append(f"{name}: {value!r} is not a date; write one such as 2026-03-01")
        return None


def log_filters(request: Request) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The firing log's filters from the query string: the operation's variables, the
    form's values and the problems (a bad value is named and left out)."""
    params = request.query_params
    form = {name: params.get(name, "").strip() for name in (
        "status", "customer", "since", "until", "after", "trigger")}
    problems: list[str] = []
    status = form["status"] or None
    if status not in (None, *STATUSES):
        problems.append(f"status: unknown {status!r}; use one of {', '.join(STATUSES)}")
        status = None
    until = _day(form["until"], "until", problems)
    if until is not None:  # the form's "until" day is included
        until = (date.fromisoformat(form["until"]) + timedelta(days=1)).isoformat() \
            + "T00:00:00Z"
    variables = {"status": status, "customer": form["customer"] or None,
                 "since": _day(form["since"], "since", problems), "until": until,
                 "after": form["after"] or None}
    return variables, form, problems


def _log(data: dict[str, Any]) -> dict[str, Any]:
    log = data["triggerFirings"]
    return {"firings": [edge["node"] for edge in log["edges"]], "total": log["totalCount"],
            "next_cursor": log["pageInfo"]["endCursor"] if log["pageInfo"]["hasNextPage"]
            else None}


async def trigger_page(request: Request) -> Response:
    """One trigger, its versions and its firing log (filtered by status, customer and
    due day; 50 a page)."""
    variables, form, problems = log_filters(request)
    trigger_id = str(request.path_params["trigger_id"])
    data = await run_operation(request, TRIGGER_QUERY, {"id": trigger_id, **variables})
    if data["trigger"] is None:
        return render_error(request, 404, "No such trigger",
                            "There is no trigger with this id: the triggers page lists them.")
    return render(request, "trigger.html", {
        "trigger": data["trigger"], **_log(data), "filters": form, "problems": problems,
        "statuses": STATUSES, "can_edit": _can_edit(request),
        "log_path": f"/triggers/{trigger_id}"})


async def firings_page(request: Request) -> Response:
    """The firing log of every trigger, filtered by trigger, status, customer and due
    day; 50 a page."""
    variables, form, problems = log_filters(request)
    trigger_id = form["trigger"] or None
    if trigger_id is not None and not trigger_id.isdigit():
        problems.append(f"trigger: {trigger_id!r} is not a trigger id")
        trigger_id = None
    data = await run_operation(request, FIRINGS_QUERY, {"id": trigger_id, **variables})
    return render(request, "trigger_firings.html", {
        "triggers": data["triggers"], **_log(data), "filters": form, "problems": problems,
        "statuses": STATUSES, "log_path": "/triggers/firings"})
