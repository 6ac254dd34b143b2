"""The audit log for admins: newest first, filtered by action and actor, a page at a time."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.web.operations import run_operation
from server.web.roles import role_refusal
from server.web.templating import render

PAGE_SIZE = 50

AUDIT_QUERY = """
query AuditPage($first: Int!, $after: String, $action: String, $actor: String) {
  auditLog(first: $first, after: $after, action: $action, actor: $actor) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id at actor actorKeyId action target outcome detail } }
  }
}
"""


async def audit_page(request: Request) -> Response:
    refusal = role_refusal(request, "admin", "Reading the audit log")
    if refusal is not None:
        return refusal
    params = request.query_params
    filters = {"action": params.get("action") or None, "actor": params.get("actor") or None}
    variables: dict[str, Any] = {"first": PAGE_SIZE, "after": params.get("after") or None,
                                 **filters}
    log = (await run_operation(request, AUDIT_QUERY, variables))["auditLog"]
    return render(request, "audit.html",
                  {"events": [edge["node"] for edge in log["edges"]],
                   "total": log["totalCount"], "page_info": log["pageInfo"],
                   "filters": {key: value or "" for key, value in filters.items()}},
                  fragment="audit")


routes = [Route("/audit", audit_page, methods=["GET"])]
