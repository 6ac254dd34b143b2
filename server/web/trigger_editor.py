"""The trigger editor: a form over every part of a trigger (its sequence, time window,
profile rule, exit events, re-entry, actions and limits). The form is turned into the
definition JSON and saved through ``updateTrigger``; a refusal is shown next to the
field it names, with the form as it was typed."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from analytics.triggers.windows import DAYS
from server.web.operations import run_operation
from server.web.roles import role_refusal
from server.web.templating import render, render_error, span
from server.web.triggers import guarded_form

EDITOR_QUERY = """
query TriggerEditor($id: ID!) {
  trigger(id: $id) { id name definition enabled priority cooldownSeconds maxFirings
                     webhookUrl version archivedAt }
  triggerEventTypes
}
"""

UPDATE_TRIGGER = """
mutation UpdateTrigger($id: ID!, $input: TriggerUpdateInput!) {
  updateTrigger(id: $id, input: $input) {
    __typename ... on Trigger { id version } ... on TriggerRefused { field path message }
  }
}
"""

TEXT_FIELDS = ("name", "first", "then", "absent", "within", "key", "hours_from", "hours_to",
               "profile", "reentry", "segments", "follow_up", "attribute_name",
               "attribute_value", "webhook_url", "cooldown", "max_firings", "priority")

# Where a refusal shows: the API's field (and, for a definition, the part of it).
_PLACES = {"name": "name", "webhookUrl": "webhook_url", "cooldown": "cooldown",
           "maxFirings": "max_firings", "priority": "priority", "enabled": "enabled",
           "sequence.first": "first", "sequence.then": "then", "sequence.absent": "absent",
           "sequence.within": "within", "sequence.key": "key", "sequence.hours": "hours",
           "sequence.days": "days", "profile": "profile", "exit": "exit",
           "reentry": "reentry", "actions": "actions", "actions.after": "follow_up"}


def form_of(trigger: dict[str, Any]) -> dict[str, Any]:
    """The editor's fields for a stored trigger (its canonical definition)."""
    body = json.loads(trigger["definition"])
    sequence = body["sequence"]
    actions = body.get("actions", [])
    attribute: dict[str, str] = next((a for a in actions if a["type"] == "set_attribute"), {})
    hours = sequence.get("hours") or ["", ""]
    return {
        "name": trigger["name"], "first": sequence["first"], "then": sequence.get("then", ""),
        "absent": "absent" if sequence.get("absent", True) else "present",
        "within": sequence.get("within", ""), "key": sequence.get("key", ""),
        "hours_from": str(hours[0]), "hours_to": str(hours[1]),
        "days": list(sequence.get("days", [])), "profile": body.get("profile", ""),
        "exit": list(body.get("exit", [])), "reentry": body.get("reentry", ""),
        "segments": ", ".join(a["segment"] for a in actions if a["type"] == "add_to_segment"),
        "follow_up": next((a["after"] for a in actions if a["type"] == "follow_up"), ""),
        "attribute_name": attribute.get("name", ""),
        "attribute_value": attribute.get("value", ""),
        "webhook_url": trigger["webhookUrl"] or "", "cooldown": span(trigger["cooldownSeconds"]),
        "max_firings": "" if trigger["maxFirings"] is None else str(trigger["maxFirings"]),
        "priority": str(trigger["priority"]), "enabled": bool(trigger["enabled"])}


def form_from(data: FormData) -> dict[str, Any]:
    """The editor's fields as posted."""
    form: dict[str, Any] = {name: str(data.get(name, "")).strip() for name in TEXT_FIELDS}
    form["days"] = [str(day) for day in data.getlist("days")]
    form["exit"] = [str(kind) for kind in data.getlist("exit")]
    form["enabled"] = str(data.get("enabled", "")) == "on"
    return form


def _whole(form: dict[str, Any], name: str, errors: dict[str, str],
           place: str | None = None) -> int | None:
    if not form[name]:
        return None
    try:
        return int(form[name])
    except ValueError:
        errors[place or name] = f"{form[name]!r} is not a whole number"
        return None


def definition_of(form: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The definition the form describes (the API checks it); page-level problems
    (numbers that are not numbers, half a window) go into ``errors`` by field."""
    sequence: dict[str, Any] = {"first": form["first"], "key": form["key"],
                                "within": form["within"] or "2h"}
    if form["then"]:
        sequence |= {"then": form["then"], "absent": form["absent"] != "present"}
    start = _whole(form, "hours_from", errors, "hours")
    end = _whole(form, "hours_to", errors, "hours")
    if (start is None) != (end is None) and "hours" not in errors:
        errors["hours"] = "give both hours of the window, or neither"
    elif start is not None and end is not None:
        sequence["hours"] = [start, end]
    if form["days"] and len(set(form["days"])) < len(DAYS):
        sequence["days"] = form["days"]
    body: dict[str, Any] = {"sequence": sequence}
    if form["profile"]:
        body["profile"] = form["profile"]
    if form["exit"]:
        body["exit"] = form["exit"]
    if form["reentry"]:
        body["reentry"] = form["reentry"]
    actions: list[dict[str, str]] = [
        {"type": "add_to_segment", "segment": segment.strip()}
        for segment in form["segments"].split(",") if segment.strip()]
    if form["follow_up"]:
        actions.append({"type": "follow_up", "after": form["follow_up"]})
    if form["attribute_name"] or form["attribute_value"]:
        actions.append({"type": "set_attribute", "name": form["attribute_name"],
                        "value": form["attribute_value"]})
    if actions:
        body["actions"] = actions
    return body


async def _editor(request: Request, trigger_id: str) -> dict[str, Any] | None:
    data = await run_operation(request, EDITOR_QUERY, {"id": trigger_id})
    if data["trigger"] is None:
        return None
    return {"trigger": data["trigger"], "event_types": data["triggerEventTypes"],
            "days": DAYS}


def _missing(request: Request) -> Response:
    return render_error(request, 404, "No such trigger",
                        "There is no trigger with this id: the triggers page lists them.")


async def edit_page(request: Request) -> Response:
    """The editor, filled in from the trigger as it is."""
    refusal = role_refusal(request, "analyst", "Editing a trigger")
    if refusal is not None:
        return refusal
    context = await _editor(request, str(request.path_params["trigger_id"]))
    if context is None:
        return _missing(request)
    return render(request, "trigger_edit.html",
                  {**context, "form": form_of(context["trigger"]), "errors": {}})


async def save_edit(request: Request) -> Response:
    """Save the editor as the trigger's next version, or show the refusals by field."""
    data = await guarded_form(request, "Editing a trigger")
    if isinstance(data, Response):
        return data
    trigger_id = str(request.path_params["trigger_id"])
    context = await _editor(request, trigger_id)
    if context is None:
        return _missing(request)
    form = form_from(data)
    errors: dict[str, str] = {}
    definition = definition_of(form, errors)
    changes: dict[str, Any] = {"name": form["name"], "definition": json.dumps(definition),
                               "webhookUrl": form["webhook_url"] or None,
                               "cooldown": form["cooldown"] or None,
                               "maxFirings": _whole(form, "max_firings", errors),
                               "priority": _whole(form, "priority", errors) or 0,
                               "enabled": form["enabled"]}
    if not errors:
        result = (await run_operation(request, UPDATE_TRIGGER,
                                      {"id": trigger_id, "input": changes}))["updateTrigger"]
        if result["__typename"] == "Trigger":
            return RedirectResponse(f"/triggers/{trigger_id}", status_code=303)
        place = _PLACES.get(result["path"] or result["field"], "form")
        errors[place] = result["message"]
    return render(request, "trigger_edit.html", {**context, "form": form, "errors": errors},
                  status_code=422)
