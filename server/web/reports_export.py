"""``GET /api/export/report/{report}.{format}``: any report as CSV, Parquet or Arrow IPC.

The query string is the one of the page the report comes from (from, to, granularity,
type, segment for the dashboard; campaign, dimension, status for a campaign; id for
campaign statistics; from, to, model for the budget categories), so a page's download
links are its own URL's parameters. Needs the analyst role.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.auth import require_role
from server.export import EXPORT_FORMATS, EXPORT_MEDIA_TYPES, write_export
from server.runners.report_tables import REPORTS, ReportError, build_table
from server.settings import get_settings
from server.web.operations import request_engine

MEDIA_TYPES = EXPORT_MEDIA_TYPES
_LISTS = ("type", "segment", "id")


async def export_report(request: Request) -> Response:
    require_role(request, "analyst")
    name, fmt = request.path_params["report"], request.path_params["format"].lower()
    if fmt not in EXPORT_FORMATS:
        return JSONResponse({"error": f"unknown export format {fmt!r}: use .csv, .parquet or "
                                      ".arrow"},
                            status_code=404)
    if name not in REPORTS:
        return JSONResponse({"error": f"unknown report {name!r}; choose one of "
                                      f"{', '.join(REPORTS)}"}, status_code=404)
    params = request.query_params
    lists = {key: params.getlist(key) for key in _LISTS}
    engine = request_engine(request)
    currency = (getattr(request.app.state, "settings", None) or get_settings()).currency

    def build() -> bytes:
        buffer = io.BytesIO()
        write_export(build_table(engine, name, dict(params), lists, currency=currency),
                     buffer, fmt)
        return buffer.getvalue()

    try:
        body = await run_in_threadpool(build)
    except ReportError as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(body, media_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"'})


routes = [Route("/api/export/report/{report}.{format}", export_report, methods=["GET"])]
