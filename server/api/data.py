"""``POST /api/import/{kind}`` and ``GET /api/export/{dataset}.{format}``.

Import bodies are a multipart upload (field ``file``) or the raw file with ``?format=``
(or a Content-Type that names it). Requests signed in through the browser session, not a
Bearer key, must carry the session's CSRF token like every form.
"""

from __future__ import annotations

import io
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.auth import CLI_ACTOR, Principal, require_role
from server.csrf import HEADER, csrf_problem
from server.db.repository.audit import audit, import_counts
from server.export import (
    EXPORT_FORMATS,
    EXPORT_MEDIA_TYPES,
    export_frame,
    next_cursor,
    write_export,
)
from server.ingest import (
    IngestError,
    ReadError,
    detect_format,
    get_kind,
    load_frame,
    read_bytes,
)
from server.ingest.errors import RowError
from server.ingest.read import first_row_number

# Errors listed in one response; the count says how many there were in all.
MAX_LISTED_ERRORS = 1000
_CONTENT_TYPES = {"text/csv": "csv", "application/x-ndjson": "ndjson",
                  "application/jsonl": "ndjson", "application/vnd.apache.parquet": "parquet",
                  "application/x-parquet": "parquet"}
_TRUE = ("1", "true", "yes", "on")


def _problem(status: int, message: str, errors: list[RowError] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if errors is not None:
        body["error_count"] = len(errors)
        body["errors"] = [error.as_dict() for error in errors[:MAX_LISTED_ERRORS]]
    return JSONResponse(body, status_code=status)


def _raw_format(request: Request) -> str:
    fmt = request.query_params.get("format")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = fmt or _CONTENT_TYPES.get(content_type)
    if not fmt:
        raise ReadError("cannot tell the file's format: pass ?format=csv|parquet|ndjson or "
                        "a Content-Type of text/csv, application/x-ndjson or "
                        "application/vnd.apache.parquet")
    return detect_format("", fmt)


async def _upload(request: Request, form: FormData | None) -> tuple[bytes, str]:
    """The file's bytes and its format."""
    if form is None:
        return await request.body(), _raw_format(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ReadError("the multipart body has no 'file' field: send the file as form "
                        "field 'file'")
    given = request.query_params.get("format")
    return await upload.read(), detect_format(upload.filename or "", given)


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def import_kind(request: Request) -> Response:
    require_role(request, "ingest")
    form = await request.form() if _is_multipart(request) else None
    try:
        return await _import(request, form)
    finally:
        if form is not None:
            await form.close()


async def _import(request: Request, form: FormData | None) -> Response:
    # A browser session (no Bearer key) must prove the request came from our own pages.
    if not request.headers.get("authorization"):
        problem = csrf_problem(request, form or FormData())
        if problem:
            return _problem(403, f"{problem} (API clients send 'Authorization: Bearer "
                                 f"<key>'; pages send the '{HEADER}' header)")
    try:
        kind = get_kind(request.path_params["kind"]).name
    except ValueError as error:
        return _problem(404, str(error))
    skip_invalid = request.query_params.get("skip_invalid", "").lower() in _TRUE
    try:
        data, fmt = await _upload(request, form)
        frame = await run_in_threadpool(read_bytes, data, fmt)
    except ReadError as error:
        return _problem(400, str(error))
    engine = request.app.state.engine
    try:
        report = await run_in_threadpool(
            lambda: load_frame(kind, frame, engine=engine, skip_invalid=skip_invalid,
                               first_row=first_row_number(fmt)))
    except IngestError as error:
        await _audit(request, f"import.{kind}", "rejected", {"problems": len(error.errors)})
        return _problem(422, f"{len(error.errors)} problems in the {kind} file; nothing was "
                             "stored. Fix the rows listed and send the file again.",
                        error.errors)
    await _audit(request, f"import.{kind}", "ok", import_counts(report))
    body = report.as_dict()
    body["errors"] = body["errors"][:MAX_LISTED_ERRORS]
    body["summary"] = report.summary()
    return JSONResponse(body, status_code=200)


async def _audit(request: Request, action: str, outcome: str,
                 detail: dict[str, Any]) -> None:
    user = request.user
    actor = user.actor if isinstance(user, Principal) else CLI_ACTOR
    await run_in_threadpool(lambda: audit(engine=request.app.state.engine, actor=actor.name,
                                          actor_key_id=actor.key_id, action=action,
                                          outcome=outcome, detail=detail))


async def export_dataset(request: Request) -> Response:
    require_role(request, "admin")
    dataset, fmt = request.path_params["dataset"], request.path_params["format"].lower()
    if fmt not in EXPORT_FORMATS:
        return _problem(404, f"unknown export format {fmt!r}: use .csv, .parquet or .arrow")
    try:
        get_kind(dataset)
    except ValueError as error:
        return _problem(404, str(error))
    engine = request.app.state.engine
    given = request.query_params.get("since")
    if given is not None and not given.isdigit():
        return _problem(400, f"since={given!r}: pass 0 for everything, then the "
                             "X-Mailscope-Cursor of the previous export")
    since = None if given is None else int(given)
    headers = {"Content-Disposition": f'attachment; filename="{dataset}.{fmt}"'}

    def build() -> bytes:
        frame = export_frame(dataset, engine=engine, since=since)
        if since is not None:
            headers["X-Mailscope-Cursor"] = str(next_cursor(frame, since))
        buffer = io.BytesIO()
        write_export(frame, buffer, fmt)
        return buffer.getvalue()

    try:
        body = await run_in_threadpool(build)
    except ValueError as error:
        return _problem(400, str(error))
    await _audit(request, f"export.{dataset}", "ok", {"format": fmt, "since": since,
                                                       "bytes": len(body)})
    return Response(body, media_type=EXPORT_MEDIA_TYPES[fmt], headers=headers)


routes = [
    Route("/api/import/{kind}", import_kind, methods=["POST"]),
    Route("/api/export/{dataset}.{format}", export_dataset, methods=["GET"]),
]
