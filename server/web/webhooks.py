"""The webhooks page: deliveries per provider, the latest deliveries, and the events kept
aside (quarantined) with their reason, which an analyst re-processes once mapped."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.operations import run_operation
from server.web.roles import role_refusal
from server.web.templating import is_htmx, render, render_error

WEBHOOKS_QUERY = """
query WebhooksPage {
  webhooks(recent: 50) {
    providers { provider received waiting }
    deliveries { id provider receivedAt foldedAt events quarantined error jobId }
    quarantine { id provider eventType reason payload deliveryId quarantinedAt }
  }
}
"""

REPROCESS = """
mutation Reprocess($ids: [ID!]!) {
  reprocessWebhookEvents(ids: $ids) { events stored stillKept }
}
"""


async def _context(request: Request, notice: str | None = None) -> dict[str, Any]:
    data = (await run_operation(request, WEBHOOKS_QUERY))["webhooks"]
    return {**data, "notice": notice}


async def webhooks_page(request: Request) -> Response:
    return render(request, "webhooks.html", await _context(request), fragment="webhooks")


async def reprocess(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refusal = role_refusal(request, "analyst", "Re-processing webhook events")
    if refusal is not None:
        return refusal
    ids = [str(value) for value in form.getlist("id")]
    if not ids:
        return render_error(request, 400, "Nothing chosen",
                            "Tick the kept events to re-process, then press Re-process.")
    done = (await run_operation(request, REPROCESS, {"ids": ids}))["reprocessWebhookEvents"]
    notice = (f"{done['events']} events mapped ({done['stored']} new); "
              f"{done['stillKept']} still kept.")
    if not is_htmx(request):
        return RedirectResponse("/webhooks", status_code=303)
    return render(request, "webhooks.html", await _context(request, notice),
                  fragment="webhooks")
