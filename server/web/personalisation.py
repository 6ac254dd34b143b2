"""Personalisation pages: the template editor (lint messages and a three-customer preview
as you type), saved templates with their campaign links (link, unlink) and delete (after a
confirmation step), and the rules list with create, edit and enable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.operations import OperationError, run_operation
from server.web.roles import has_role, role_refusal
from server.web.templating import is_htmx, render, render_error

KINDS = ("body", "subject", "cta")
RULES_PAGE = 10
TEMPLATES_PAGE = 25
CAMPAIGN_CHOICES = 25
TEMPLATE_FIELDS = "id name kind source version updatedAt"
RULE_FIELDS = "id name condition key value priority enabled updatedAt"

TEMPLATES_QUERY = f"""
query PersonalisationPage($first: Int!, $after: String, $search: String, $id: ID!,
                          $editing: Boolean!, $campaignSearch: String, $choices: Int!) {{
  templates(first: $first, after: $after, search: $search) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {TEMPLATE_FIELDS} }} }}
  }}
  template(id: $id) @include(if: $editing) {{ {TEMPLATE_FIELDS} campaignIds }}
  campaigns(first: $choices, filter: {{search: $campaignSearch}}) @include(if: $editing) {{
    totalCount edges {{ node {{ id name }} }}
  }}
  personalisationTokens {{ token description emptyShare }}
}}
"""

TEMPLATE_QUERY = f"""
query TemplateToDelete($id: ID!) {{ template(id: $id) {{ {TEMPLATE_FIELDS} campaignIds }} }}
"""

DELETE_TEMPLATE = """
mutation DeleteTemplate($id: ID!) {
  deleteTemplate(id: $id) {
    __typename ... on PersonalisationRefused { field message }
  }
}
"""

LINK_TEMPLATE = """
mutation LinkTemplate($campaignId: ID!, $kind: TemplateKind!, $templateId: ID) {
  linkCampaignTemplate(campaignId: $campaignId, kind: $kind, templateId: $templateId) {
    __typename ... on PersonalisationRefused { field message }
  }
}
"""

CHECK_QUERY = """
query CheckTemplate($source: String!, $kind: TemplateKind!, $customerIds: [ID!]) {
  previewTemplate(source: $source, kind: $kind, customerIds: $customerIds) {
    kind
    lint { severity code message line column token }
    customers { customerId firstName lifecycleStage rendered { text error }
      chosen { key value }
      rules { ruleId name key value matched fired shadowedBy
              reasons { condition values held } } }
  }
}
"""

SAVE_TEMPLATE = f"""
mutation SaveTemplate($input: TemplateInput!) {{
  createTemplate(input: $input) {{
    __typename ... on ContentTemplate {{ {TEMPLATE_FIELDS} }}
    ... on PersonalisationRefused {{ field message line column }}
  }}
}}
"""

UPDATE_TEMPLATE = f"""
mutation UpdateTemplate($id: ID!, $patch: TemplatePatch!) {{
  updateTemplate(id: $id, patch: $patch) {{
    __typename ... on ContentTemplate {{ {TEMPLATE_FIELDS} }}
    ... on PersonalisationRefused {{ field message line column }}
  }}
}}
"""

RULES_QUERY = f"""
query RulesPage($first: Int!, $after: String, $enabled: Boolean) {{
  personalisationRules(first: $first, after: $after, enabled: $enabled) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {RULE_FIELDS} }} }}
  }}
}}
"""

RULE_QUERY = f"query RulePage($id: ID!) {{ personalisationRule(id: $id) {{ {RULE_FIELDS} }} }}"

CREATE_RULE = """
mutation CreateRule($input: RuleInput!) {
  createPersonalisationRule(input: $input) {
    __typename ... on PersonalisationRule { id }
    ... on PersonalisationRefused { field message column }
  }
}
"""

UPDATE_RULE = """
mutation UpdateRule($id: ID!, $patch: RulePatch!) {
  updatePersonalisationRule(id: $id, patch: $patch) {
    __typename ... on PersonalisationRule { id }
    ... on PersonalisationRefused { field message column }
  }
}
"""

INSTALL_EXAMPLES = "mutation { installExampleRules { added { id } } }"


def _kind(value: str | None) -> str:
    return value if value in KINDS else "body"


def _customer_ids(raw: str) -> list[str] | None:
    ids = [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]
    return ids or None


async def _editor_context(request: Request, form: dict[str, str] | None = None,
                          error: str | None = None, *, template_id: str | None = None,
                          link_error: str | None = None) -> dict[str, Any]:
    params = request.query_params
    chosen = template_id or params.get("template", "")
    data = await run_operation(request, TEMPLATES_QUERY, {
        "first": TEMPLATES_PAGE, "after": params.get("after") or None,
        "search": params.get("search") or None, "id": chosen or "0",
        "editing": bool(chosen) and not form,
        "campaignSearch": params.get("campaign_search") or None,
        "choices": CAMPAIGN_CHOICES})
    form = dict(form or {})
    found = data.get("template")
    if found:
        form = {"id": found["id"], "name": found["name"], "kind": found["kind"].lower(),
                "source": found["source"]}
    page = data["templates"]
    choices = data.get("campaigns") or {"totalCount": 0, "edges": []}
    return {"templates": [edge["node"] for edge in page["edges"]],
            "saved_template": found,
            "linked": found["campaignIds"] if found else [],
            "campaigns": [edge["node"] for edge in choices["edges"]],
            "campaigns_total": choices["totalCount"],
            "campaign_search": params.get("campaign_search", ""),
            "link_error": link_error,
            "templates_total": page["totalCount"],
            "templates_next": page["pageInfo"]["endCursor"]
            if page["pageInfo"]["hasNextPage"] else None,
            "search": params.get("search", ""),
            "tokens": data["personalisationTokens"], "form": form, "error": error,
            "kinds": KINDS, "check": None, "can_edit": has_role(request, "analyst")}


async def editor_page(request: Request) -> Response:
    return render(request, "personalisation.html", await _editor_context(request))


async def _check(request: Request, source: str, kind: str,
                 customers: str) -> dict[str, Any]:
    try:
        result = (await run_operation(request, CHECK_QUERY, {
            "source": source, "kind": kind.upper(),
            "customerIds": _customer_ids(customers)}))["previewTemplate"]
    except OperationError as error:
        return {"lint": [], "customers": [], "problem": "; ".join(error.messages)}
    return {**result, "problem": None}


async def check_template(request: Request) -> Response:
    """Lint messages and the preview for the source typed so far (htmx fragment; the
    whole editor when opened directly)."""
    params = request.query_params
    source, kind = params.get("source", ""), _kind(params.get("kind"))
    customers = params.get("customers", "")
    check = await _check(request, source, kind, customers) if source.strip() else None
    context = {"check": check, "form": {"source": source, "kind": kind,
                                        "customers": customers}}
    if is_htmx(request):
        return render(request, "personalisation.html", context, fragment="check")
    full = await _editor_context(request, context["form"])
    return render(request, "personalisation.html", {**full, "check": check})


async def save_template(request: Request) -> Response:
    form_data = await request.form()
    problem = csrf_problem(request, form_data)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refused = role_refusal(request, "analyst", "Saving a template")
    if refused:
        return refused
    form = {name: str(form_data.get(name, "")) for name in
            ("id", "name", "kind", "source", "customers")}
    if form["id"]:
        result = (await run_operation(request, UPDATE_TEMPLATE, {
            "id": form["id"], "patch": {"name": form["name"], "source": form["source"]}
        }))["updateTemplate"]
    else:
        result = (await run_operation(request, SAVE_TEMPLATE, {"input": {
            "name": form["name"], "kind": _kind(form["kind"]).upper(),
            "source": form["source"]}}))["createTemplate"]
    if result["__typename"] != "ContentTemplate":
        context = await _editor_context(request, form, result["message"])
        check = await _check(request, form["source"], _kind(form["kind"]), form["customers"])
        return render(request, "personalisation.html", {**context, "check": check},
                      status_code=422)
    return RedirectResponse(f"/personalisation?template={result['id']}&saved=1",
                            status_code=303)


def _rule_form(form: Any) -> tuple[dict[str, str], dict[str, Any] | str]:
    raw = {name: str(form.get(name, "")) for name in
           ("name", "condition", "key", "value", "priority", "enabled")}
    priority = raw["priority"].strip() or "0"
    if not priority.lstrip("-").isdigit():
        return raw, f"priority: {raw['priority']!r} is not a whole number"
    return raw, {"name": raw["name"], "condition": raw["condition"], "key": raw["key"],
                 "value": raw["value"], "priority": int(priority),
                 "enabled": raw["enabled"] in ("on", "true", "1")}


async def _rules_context(request: Request, form: dict[str, str] | None = None,
                         error: str | None = None) -> dict[str, Any]:
    params = request.query_params
    enabled = {"yes": True, "no": False}.get(params.get("enabled", ""))
    data = (await run_operation(request, RULES_QUERY, {
        "first": RULES_PAGE, "after": params.get("after") or None, "enabled": enabled,
    }))["personalisationRules"]
    return {"rules": [edge["node"] for edge in data["edges"]], "total": data["totalCount"],
            "next": data["pageInfo"]["endCursor"] if data["pageInfo"]["hasNextPage"]
            else None, "enabled": params.get("enabled", ""),
            "form": form or {"enabled": "on", "priority": "0"}, "error": error,
            "can_edit": has_role(request, "analyst")}


async def rules_page(request: Request) -> Response:
    return render(request, "personalisation_rules.html", await _rules_context(request))


async def _guarded(request: Request, action: str) -> tuple[Any, Response | None]:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return form, render_error(request, 403, "Form expired", problem)
    return form, role_refusal(request, "analyst", action)


async def create_rule(request: Request) -> Response:
    form, refused = await _guarded(request, "Adding a rule")
    if refused:
        return refused
    if form.get("examples"):
        await run_operation(request, INSTALL_EXAMPLES)
        return RedirectResponse("/personalisation/rules", status_code=303)
    raw, values = _rule_form(form)
    if isinstance(values, str):
        return render(request, "personalisation_rules.html",
                      await _rules_context(request, raw, values), status_code=422)
    result = (await run_operation(request, CREATE_RULE,
                                  {"input": values}))["createPersonalisationRule"]
    if result["__typename"] != "PersonalisationRule":
        return render(request, "personalisation_rules.html",
                      await _rules_context(request, raw, result["message"]), status_code=422)
    return RedirectResponse("/personalisation/rules", status_code=303)


async def rule_page(request: Request) -> Response:
    rule = (await run_operation(request, RULE_QUERY,
                                {"id": str(request.path_params["rule_id"])}))
    if rule["personalisationRule"] is None:
        return render_error(request, 404, "No such rule",
                            "There is no rule with this id: /personalisation/rules lists them.")
    found = rule["personalisationRule"]
    form = {**{name: str(found[name]) for name in ("name", "condition", "key", "value",
                                                    "priority")},
            "enabled": "on" if found["enabled"] else ""}
    return render(request, "personalisation_rule.html", {
        "rule": found, "form": form, "error": None, "can_edit": has_role(request, "analyst")})


async def update_rule(request: Request) -> Response:
    form, refused = await _guarded(request, "Changing a rule")
    if refused:
        return refused
    rule_id = str(request.path_params["rule_id"])
    if form.get("toggle"):
        patch: dict[str, Any] | str = {"enabled": str(form.get("toggle")) == "enable"}
        raw: dict[str, str] = {}
    else:
        raw, patch = _rule_form(form)
    error = patch if isinstance(patch, str) else None
    if error is None:
        result = (await run_operation(request, UPDATE_RULE, {"id": rule_id, "patch": patch})
                  )["updatePersonalisationRule"]
        if result["__typename"] == "PersonalisationRule":
            back = "/personalisation/rules" if form.get("toggle") else \
                f"/personalisation/rules/{rule_id}"
            return RedirectResponse(back, status_code=303)
        error = result["message"]
    found = (await run_operation(request, RULE_QUERY, {"id": rule_id}))["personalisationRule"]
    if found is None:
        return render_error(request, 404, "No such rule", str(error))
    return render(request, "personalisation_rule.html", {
        "rule": found, "form": raw or found, "error": error, "can_edit": True},
        status_code=422)


async def _template_of(request: Request) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await run_operation(request, TEMPLATE_QUERY, {
        "id": str(request.path_params["template_id"])}))["template"]
    return found


def _no_template(request: Request) -> Response:
    return render_error(request, 404, "No such template",
                        "There is no template with this id: /personalisation lists them.")


async def _template_write(request: Request,
                          action: str) -> tuple[Any, dict[str, Any], Response | None]:
    """The form and the template a write is for, or the response refusing it (expired
    form, role, no such template)."""
    form, refused = await _guarded(request, action)
    if refused:
        return form, {}, refused
    found = await _template_of(request)
    return form, found or {}, None if found else _no_template(request)


async def confirm_delete_template(request: Request) -> Response:
    """The confirmation step before a template is deleted (names the campaigns that
    send it: those must be unlinked first)."""
    refused = role_refusal(request, "analyst", "Deleting a template")
    if refused:
        return refused
    found = await _template_of(request)
    if found is None:
        return _no_template(request)
    return render(request, "personalisation_delete.html", {"template": found, "error": None})


async def delete_template(request: Request) -> Response:
    form, found, refused = await _template_write(request, "Deleting a template")
    if refused:
        return refused
    if form.get("confirm") != "yes":
        return render(request, "personalisation_delete.html", {
            "template": found, "error": "Confirm the deletion with the button below."},
            status_code=422)
    result = (await run_operation(request, DELETE_TEMPLATE,
                                  {"id": found["id"]}))["deleteTemplate"]
    if result["__typename"] != "TemplateDeleted":
        return render(request, "personalisation_delete.html", {
            "template": found, "error": result["message"]}, status_code=422)
    return RedirectResponse("/personalisation?deleted=1", status_code=303)


async def link_template(request: Request) -> Response:
    """Link the template to a campaign as its kind (replacing the campaign's template of
    that kind), or unlink it (``unlink`` names the campaign)."""
    form, found, refused = await _template_write(request, "Linking a template")
    if refused:
        return refused
    unlink = str(form.get("unlink", "")).strip()
    campaign_id = unlink or str(form.get("campaign_id", "")).strip()
    error = None if campaign_id else "campaignId: choose a campaign to link"
    if unlink and unlink not in found["campaignIds"]:
        error = f"campaignId: campaign {unlink!r} does not send this template"
    if error is None:
        result = (await run_operation(request, LINK_TEMPLATE, {
            "campaignId": campaign_id, "kind": found["kind"],
            "templateId": None if unlink else found["id"]}))["linkCampaignTemplate"]
        if result["__typename"] == "CampaignTemplateLinked":
            done = "unlinked" if unlink else "linked"
            return RedirectResponse(f"/personalisation?template={found['id']}&{done}="
                                    f"{quote(campaign_id)}#template-campaigns",
                                    status_code=303)
        error = result["message"]
    context = await _editor_context(request, template_id=found["id"], link_error=error)
    return render(request, "personalisation.html", context, status_code=422)


PERSONALISATION_ROUTES: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
    ("/personalisation", editor_page, ["GET"]),
    ("/personalisation/check", check_template, ["GET"]),
    ("/personalisation/templates", save_template, ["POST"]),
    ("/personalisation/templates/{template_id:int}/delete", confirm_delete_template, ["GET"]),
    ("/personalisation/templates/{template_id:int}/delete", delete_template, ["POST"]),
    ("/personalisation/templates/{template_id:int}/campaigns", link_template, ["POST"]),
    ("/personalisation/rules", rules_page, ["GET"]),
    ("/personalisation/rules", create_rule, ["POST"]),
    ("/personalisation/rules/{rule_id:int}", rule_page, ["GET"]),
    ("/personalisation/rules/{rule_id:int}", update_rule, ["POST"]),
]
