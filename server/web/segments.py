"""Segment pages: the list (with when each was last computed), the builder with a live
member count as you type, and the RFM grid heatmap."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.operations import run_operation
from server.web.roles import has_role
from server.web.templating import is_htmx, render, render_error

SEGMENTS_QUERY = """
query SegmentsPage {
  segments { id name kind definition memberCount computedAt refreshedAt pending note }
}
"""

PREVIEW_QUERY = """
query SegmentPreview($definition: String!) {
  previewSegment(definition: $definition) {
    definition count customers sample error column
  }
}
"""

CREATE_SEGMENT = """
mutation CreateSegment($input: SegmentInput!) {
  createSegment(input: $input) {
    __typename
    ... on Segment { id }
    ... on SegmentRefused { field message }
  }
}
"""

CLUSTERS_QUERY = """
query ClustersPage($k: Int) {
  customerClusters(k: $k) {
    k silhouette chosenBy
    clusters { index name size centre { feature value } zCentre { feature value } }
  }
}
"""

SEGMENT_QUERY = """
query SegmentPage($id: ID!, $since: DateTime!) {
  segment(id: $id) {
    id name kind definition description memberCount computedAt refreshedAt pending note
    performance { members openRate90d clickRate90d lifetimeRevenue averageEngagement }
    members(first: 50) { totalCount edges { node { customerId enteredAt } } }
  }
  segmentChanges(segmentId: $id, since: $since, first: 50) { customerId enteredAt leftAt }
}
"""

REFRESH_SEGMENTS = """
mutation RefreshSegments {
  runJob(actor: REFRESH_SEGMENTS) { __typename ... on Job { id } ... on Error { message } }
}
"""

RFM_QUERY = """
query RfmPage { rfmGrid { customers cells { recencyScore fmScore customers name } } }
"""


async def _segments_context(request: Request, form: dict[str, str] | None = None,
                            error: str | None = None) -> dict[str, Any]:
    data = await run_operation(request, SEGMENTS_QUERY)
    form = form or {}
    return {"segments": data["segments"], "form": form, "error": error,
            "preview": None, "definition": form.get("definition", ""),
            "can_edit": has_role(request, "analyst")}


async def segments_page(request: Request) -> Response:
    return render(request, "segments.html", await _segments_context(request))


async def segment_preview(request: Request) -> Response:
    """The live count fragment for the definition typed so far."""
    definition = request.query_params.get("definition", "")
    preview = None
    if definition.strip():
        preview = (await run_operation(request, PREVIEW_QUERY,
                                       {"definition": definition}))["previewSegment"]
    if is_htmx(request):
        return render(request, "segments.html", {"preview": preview, "definition": definition},
                      fragment="preview")
    # Opened directly (a shared link, no JavaScript): the whole builder with the count.
    context = await _segments_context(request, {"definition": definition})
    return render(request, "segments.html", {**context, "preview": preview})


async def create_segment(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    fields = {name: str(form.get(name, "")) for name in ("id", "name", "definition")}
    result = (await run_operation(request, CREATE_SEGMENT, {"input": fields}))["createSegment"]
    if result["__typename"] != "Segment":
        context = await _segments_context(request, fields, result.get("message"))
        return render(request, "segments.html", context, status_code=422)
    if is_htmx(request):
        return render(request, "segments.html", await _segments_context(request),
                      fragment="segment_list")
    return RedirectResponse("/segments", status_code=303)


async def refresh_segments(request: Request) -> Response:
    """Start the refresh job and go to the jobs page, where its progress shows."""
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    result = (await run_operation(request, REFRESH_SEGMENTS))["runJob"]
    if result["__typename"] != "Job":
        context = await _segments_context(request, error=result.get("message"))
        return render(request, "segments.html", context, status_code=409)
    return RedirectResponse(f"/jobs?new={result['id']}", status_code=303)


async def segment_page(request: Request) -> Response:
    """One segment: its rule, when it was computed, performance, members and the latest
    entries and exits."""
    segment_id = request.path_params["segment_id"]
    data = await run_operation(request, SEGMENT_QUERY, {
        "id": segment_id, "since": "1970-01-01T00:00:00Z"})
    if data["segment"] is None:
        return render_error(request, 404, "No such segment",
                            f"No segment has id {segment_id!r}. See /segments.")
    return render(request, "segment.html", {"segment": data["segment"],
                                            "changes": data["segmentChanges"]})


def _heat(customers: int, most: int) -> int:
    """A cell's shade, 0-100, by its share of the fullest cell."""
    return 0 if most == 0 else round(100 * customers / most)


async def rfm_page(request: Request) -> Response:
    grid = (await run_operation(request, RFM_QUERY))["rfmGrid"]
    most = max((cell["customers"] for cell in grid["cells"]), default=0)
    rows: dict[int, list[dict[str, Any]]] = {}
    for cell in grid["cells"]:
        rows.setdefault(cell["recencyScore"], []).append(
            {**cell, "heat": _heat(cell["customers"], most)})
    return render(request, "rfm.html", {"customers": grid["customers"],
                                        "rows": sorted(rows.items(), reverse=True)})


async def clusters_page(request: Request) -> Response:
    raw = request.query_params.get("k", "").strip()
    if raw and not raw.isdigit():
        return render_error(request, 400, "Bad k", f"k: {raw!r} is not a whole number; "
                            "give 1-12, or leave it empty to choose by silhouette")
    k = int(raw) if raw else None
    customers = await run_operation(request, "{ customers(first: 1) { totalCount } }")
    if customers["customers"]["totalCount"] < 2:
        return render(request, "clusters.html", {"result": None, "k": raw})
    result = (await run_operation(request, CLUSTERS_QUERY, {"k": k}))["customerClusters"]
    features = [value["feature"] for value in result["clusters"][0]["centre"]]
    return render(request, "clusters.html", {"result": result, "k": raw,
                                             "features": features})
