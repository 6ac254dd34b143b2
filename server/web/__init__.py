"""The built-in htmx pages: sign-in, campaigns and jobs. ``create_app`` mounts ``routes``."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.web.attribution import attribution_page, export_comparison
from server.web.audit import routes as audit_routes
from server.web.budget import BUDGET_ROUTES
from server.web.campaign_detail import campaign_page
from server.web.campaigns import campaigns_page
from server.web.customers import customer_page, customers_page
from server.web.dashboard import dashboard_page
from server.web.experiments import EXPERIMENT_ROUTES
from server.web.jobs import jobs_page, run_rebuild
from server.web.keys import routes as key_routes
from server.web.login import login_page, login_submit, logout
from server.web.operations import OperationError
from server.web.personalisation import PERSONALISATION_ROUTES
from server.web.predictions import PREDICTION_ROUTES
from server.web.privacy import erase_customer, export_customer
from server.web.reports_export import routes as report_export_routes
from server.web.segments import (
    clusters_page,
    create_segment,
    refresh_segments,
    rfm_page,
    segment_page,
    segment_preview,
    segments_page,
)
from server.web.targets import save_targets, targets_page
from server.web.templating import render_error
from server.web.trigger_editor import edit_page, save_edit
from server.web.triggers import (
    archive,
    create_trigger,
    firings_page,
    set_enabled,
    trigger_page,
    triggers_page,
)
from server.web.variants import VARIANT_ROUTES
from server.web.webhooks import reprocess, webhooks_page

Endpoint = Callable[[Request], Awaitable[Response]]


def shows_operation_errors(endpoint: Endpoint) -> Endpoint:
    """Turn a failed GraphQL operation into the error page instead of a bare 500."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except OperationError as error:
            if error.refused:
                return render_error(request, 403, "Not allowed", "; ".join(error.messages))
            return render_error(request, 400, "The page's query failed",
                                "; ".join(error.messages))

    return wrapper


async def home(request: Request) -> Response:
    return RedirectResponse("/dashboard", status_code=303)


async def not_found(request: Request, exc: Exception) -> Response:
    return render_error(request, 404, "Page not found",
                        f"There is no page at {request.url.path}. Use the navigation above.")


routes: list[Route] = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/campaigns", shows_operation_errors(campaigns_page), methods=["GET"]),
    Route("/dashboard", shows_operation_errors(dashboard_page), methods=["GET"]),
    Route("/campaigns/{campaign_id}", shows_operation_errors(campaign_page), methods=["GET"]),
    Route("/settings/targets", shows_operation_errors(targets_page), methods=["GET"]),
    Route("/settings/targets", shows_operation_errors(save_targets), methods=["POST"]),
    *report_export_routes,
    Route("/jobs", shows_operation_errors(jobs_page), methods=["GET"]),
    Route("/jobs", shows_operation_errors(run_rebuild), methods=["POST"]),
    Route("/attribution", shows_operation_errors(attribution_page), methods=["GET"]),
    Route("/attribution/export.{format}", shows_operation_errors(export_comparison),
          methods=["GET"]),
    *(Route(path, shows_operation_errors(endpoint), methods=methods)
      for path, endpoint, methods in EXPERIMENT_ROUTES),
    *(Route(path, shows_operation_errors(endpoint), methods=methods)
      for path, endpoint, methods in BUDGET_ROUTES),
    Route("/webhooks", shows_operation_errors(webhooks_page), methods=["GET"]),
    Route("/webhooks", shows_operation_errors(reprocess), methods=["POST"]),
    Route("/customers", shows_operation_errors(customers_page), methods=["GET"]),
    Route("/customers/{customer_id}", shows_operation_errors(customer_page), methods=["GET"]),
    Route("/customers/{customer_id}/export", shows_operation_errors(export_customer),
          methods=["GET"]),
    Route("/customers/{customer_id}/erase", shows_operation_errors(erase_customer),
          methods=["POST"]),
    Route("/segments", shows_operation_errors(segments_page), methods=["GET"]),
    Route("/triggers", shows_operation_errors(triggers_page), methods=["GET"]),
    Route("/triggers", shows_operation_errors(create_trigger), methods=["POST"]),
    Route("/triggers/firings", shows_operation_errors(firings_page), methods=["GET"]),
    Route("/triggers/{trigger_id:int}", shows_operation_errors(trigger_page), methods=["GET"]),
    Route("/triggers/{trigger_id:int}/edit", shows_operation_errors(edit_page), methods=["GET"]),
    Route("/triggers/{trigger_id:int}/edit", shows_operation_errors(save_edit),
          methods=["POST"]),
    Route("/triggers/{trigger_id:int}/archive", shows_operation_errors(archive),
          methods=["POST"]),
    Route("/triggers/{trigger_id:int}/enabled", shows_operation_errors(set_enabled),
          methods=["POST"]),
    Route("/segments", shows_operation_errors(create_segment), methods=["POST"]),
    Route("/segments/refresh", shows_operation_errors(refresh_segments), methods=["POST"]),
    Route("/segments/preview", shows_operation_errors(segment_preview), methods=["GET"]),
    Route("/segments/rfm", shows_operation_errors(rfm_page), methods=["GET"]),
    Route("/segments/clusters", shows_operation_errors(clusters_page), methods=["GET"]),
    Route("/segments/{segment_id}", shows_operation_errors(segment_page), methods=["GET"]),
    *(Route(path, shows_operation_errors(endpoint), methods=methods)
      for path, endpoint, methods in PREDICTION_ROUTES),
    *(Route(path, shows_operation_errors(endpoint), methods=methods)
      for path, endpoint, methods in PERSONALISATION_ROUTES),
    *(Route(path, shows_operation_errors(endpoint), methods=methods)
      for path, endpoint, methods in VARIANT_ROUTES),
    *key_routes,
    *(Route(route.path, shows_operation_errors(route.endpoint), methods=route.methods)
      for route in audit_routes),
]

__all__ = ["not_found", "render_error", "routes"]
