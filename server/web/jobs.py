"""The jobs page: recent jobs with progress, live while any is unfinished."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.csrf import csrf_problem
from server.web.operations import run_operation
from server.web.roles import has_role, role_refusal
from server.web.templating import is_htmx, render, render_error

RECENT_JOBS = 50
UNFINISHED = {"queued", "running"}

JOBS_QUERY = """
query JobsPage($first: Int!) {
  jobs(first: $first) {
    edges {
      node { id actor state progress detail error createdAt startedAt finishedAt }
    }
  }
}
"""

RUN_REBUILD = """
mutation RebuildRollups {
  runJob(actor: REBUILD_ROLLUPS) {
    __typename
    ... on Job { id }
    ... on Error { message }
  }
}
"""


def _job_row(node: dict[str, Any]) -> dict[str, Any]:
    state = str(node["state"]).lower()
    progress = float(node["progress"] or 0.0)
    if state == "done":
        progress = 1.0
    return {**node, "state": state, "percent": round(max(0.0, min(progress, 1.0)) * 100)}


async def _jobs_context(request: Request, new_job_id: str | None = None,
                        error: str | None = None) -> dict[str, Any]:
    data = await run_operation(request, JOBS_QUERY, {"first": RECENT_JOBS})
    jobs = [_job_row(edge["node"]) for edge in data["jobs"]["edges"]]
    return {
        "jobs": jobs,
        "live": any(job["state"] in UNFINISHED for job in jobs),
        "new_job_id": new_job_id,
        "error": error,
        "can_run": has_role(request, "analyst"),
    }


async def jobs_page(request: Request) -> Response:
    context = await _jobs_context(request, new_job_id=request.query_params.get("new"))
    return render(request, "jobs.html", context, fragment="jobs")


async def run_rebuild(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    refusal = role_refusal(request, "analyst", "Rebuilding rollups")
    if refusal is not None:
        return refusal
    result = (await run_operation(request, RUN_REBUILD))["runJob"]
    if result["__typename"] != "Job":
        context = await _jobs_context(request, error=result.get("message") or "Not started.")
        return render(request, "jobs.html", context, fragment="jobs", status_code=409)
    job_id = str(result["id"])
    if not is_htmx(request):
        return RedirectResponse(f"/jobs?new={job_id}", status_code=303)
    return render(request, "jobs.html", await _jobs_context(request, new_job_id=job_id),
                  fragment="jobs")
