"""The OpenAPI document of the REST endpoints (imports, exports, report downloads,
provider webhooks), built from the same lists the endpoints use and checked in as
``server/api/openapi.json`` (``mailscope schema openapi``; a test fails on drift), like
the GraphQL SDL. Served at ``GET /api/openapi.json``.

Every operation also lists the refusals of the middleware in front of it, from the same
constants the middleware uses: 413 for a body over the size limit (any request), and 429
with ``Retry-After`` from the rate limiter (all but the paths it exempts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.api.webhooks import MAX_BODY as WEBHOOK_MAX_BODY
from server.export import EXPORT_FORMATS, EXPORT_MEDIA_TYPES, SEQUENCED
from server.ingest import KINDS
from server.runners.report_tables import REPORTS
from server.security.body_limit import UPLOAD_PREFIXES
from server.security.ratelimit import EXEMPT_PATHS, EXEMPT_PREFIXES
from server.settings import Settings
from server.webhooks import PROVIDERS

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string", "description": "What went wrong and "
                                                                    "how to fix it."}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}


def _default(setting: str) -> int:
    value = Settings.model_fields[setting].default
    assert isinstance(value, int)
    return value


def _too_large(setting: str, extra: str = "") -> dict[str, Any]:
    limit = _default(setting.removeprefix("MAILSCOPE_").lower())
    return {"description": f"The body is over {setting} ({limit:,} bytes by default{extra}): "
                           "refused by its Content-Length before it is read, or as soon as "
                           "a streamed body passes the limit. Nothing changed; send less.",
            "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/BodyTooLarge"}}}}


def _rate_limited() -> dict[str, Any]:
    return {"description": "The caller's token bucket is empty (per API key; per client "
                           "IP without one; MAILSCOPE_RATE_LIMIT_*): nothing was done. Wait "
                           "the Retry-After seconds, then send again.",
            "headers": {"Retry-After": {"description": "Seconds to wait (at least 1).",
                                        "schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/RateLimited"}}}}


def rate_limited(path: str) -> bool:
    """Whether the rate limiter can refuse requests to ``path`` (an OpenAPI path)."""
    return path not in EXEMPT_PATHS and not path.startswith(EXEMPT_PREFIXES)


def _with_refusals(paths: dict[str, Any]) -> dict[str, Any]:
    """Add the middleware's 413 and 429 to every operation they can answer."""
    for path, item in paths.items():
        for operation in item.values():
            responses = operation["responses"]
            responses["413"] = {"$ref": "#/components/responses/" + (
                "UploadTooLarge" if path.startswith(UPLOAD_PREFIXES) else "BodyTooLarge")}
            if rate_limited(path):
                responses["429"] = {"$ref": "#/components/responses/RateLimited"}
            operation["responses"] = dict(sorted(responses.items()))
    return paths


def _files(description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        EXPORT_MEDIA_TYPES[fmt].split(";")[0]: {"schema": {"type": "string",
                                                           "format": "binary"}}
        for fmt in EXPORT_FORMATS}}


def _enum(name: str, values: Any, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "enum": list(values)}}


def _webhook(provider: str, summary: str, proof: str) -> dict[str, Any]:
    return {"post": {
        "tags": ["webhooks"], "summary": summary, "operationId": f"webhook_{provider}",
        "description": f"{proof} The delivery is kept and folded in by a job; see "
                       "docs/webhooks.md for how each event type maps.",
        "security": [],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": ["object", "array"]}}}},
        "responses": {
            "200": {"description": "Kept (or recognised as a repeat); folded by a job.",
                    "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/WebhookReceipt"}}}},
            "400": _error("The body is not this provider's format."),
            "401": _error("Missing or bad signature or credentials: nothing changed."),
            "406": _error("A reused Mailgun token: a replay, nothing changed."),
            "503": _error("Kept, but the fold job could not be queued: retry (the retry "
                          "queues it)."),
        }}}


def openapi_document() -> dict[str, Any]:
    """The document, as a JSON-ready dict (stable key order, for the checked-in copy)."""
    webhook_providers = [name for name in PROVIDERS if name != "ses"]
    paths: dict[str, Any] = {
        "/api/import/{kind}": {"post": {
            "tags": ["data"], "summary": "Import a file of one kind, all or nothing",
            "operationId": "import_kind",
            "description": "Multipart field `file`, or the raw file with `?format=` or a "
                           "Content-Type naming it. Needs the ingest or admin role.",
            "parameters": [
                _enum("kind", KINDS, "What the rows are (import order: as listed)."),
                {"name": "format", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["csv", "parquet", "ndjson"]}},
                {"name": "skip_invalid", "in": "query", "required": False,
                 "schema": {"type": "boolean"},
                 "description": "Store the valid rows and report the others."}],
            "requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "format": "binary"}}}},
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {"schema": {"type": "string",
                                                              "format": "binary"}}}},
            "responses": {
                "200": {"description": "What the import did.", "content": {
                    "application/json": {"schema": {
                        "$ref": "#/components/schemas/ImportReport"}}}},
                "400": _error("The file cannot be read."),
                "401": _error("No API key."), "403": _error("The key's role is too weak."),
                "404": _error("Unknown kind."),
                "422": _error("Rows refused (listed in `errors`); nothing was stored."),
            }}},
        "/api/export/{dataset}.{format}": {"get": {
            "tags": ["data"], "summary": "Export a data set with its import columns",
            "operationId": "export_dataset",
            "description": "Needs the admin role. With `since`, only the rows stored after "
                           "that ingest sequence cursor, plus an `ingest_seq` column, and "
                           "the next cursor in `X-Mailscope-Cursor`.",
            "parameters": [
                _enum("dataset", KINDS, "The data set (an import kind)."),
                _enum("format", EXPORT_FORMATS, "csv, parquet or arrow (Arrow IPC stream)."),
                {"name": "since", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0},
                 "description": "Incremental export cursor; data sets: "
                                + ", ".join(SEQUENCED) + "."}],
            "responses": {
                "200": {**_files("The rows, ordered by key."), "headers": {
                    "X-Mailscope-Cursor": {"schema": {"type": "integer"}, "description":
                                           "With `since`: the cursor of the next export."}}},
                "400": _error("A bad `since`, or a data set without a sequence."),
                "401": _error("No API key."), "403": _error("Needs the admin role."),
                "404": _error("Unknown data set or format."),
            }}},
        "/api/export/report/{report}.{format}": {"get": {
            "tags": ["data"], "summary": "Download a report table",
            "operationId": "export_report",
            "description": "The query string is the one of the report's page (from, to, "
                           "granularity, type, segment; campaign, dimension, status; id; "
                           "from, to, model for budget-categories). Needs the analyst role.",
            "parameters": [_enum("report", REPORTS, "The report table."),
                           _enum("format", EXPORT_FORMATS, "csv, parquet or arrow.")],
            "responses": {"200": _files("The report's rows."),
                          "400": _error("A parameter the report cannot honour."),
                          "401": _error("No API key."),
                          "403": _error("Needs the analyst role."),
                          "404": _error("Unknown report or format.")}}},
        "/api/openapi.json": {"get": {
            "tags": ["data"], "summary": "This document", "operationId": "openapi",
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                "application/json": {"schema": {"type": "object"}}}}}}},
        "/webhooks/{provider}": {"post": {
            **_webhook("provider", "Receive a provider's event webhook",
                       "SendGrid: ECDSA signature headers; Mailgun: the signed `signature` "
                       "object; Postmark: Basic credentials.")["post"],
            "parameters": [_enum("provider", webhook_providers, "The provider.")]}},
        "/webhooks/ses/{token}": {"post": {
            **_webhook("ses", "Receive Amazon SES events through SNS",
                       "The secret path token and a configured TopicArn.")["post"],
            "parameters": [{"name": "token", "in": "path", "required": True,
                            "schema": {"type": "string"},
                            "description": "MAILSCOPE_WEBHOOK_SES_TOKEN."}]}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Mailscope REST API", "version": "1",
                 "description": "Imports, exports, report downloads and provider webhooks. "
                                "The GraphQL API (/graphql) is described by "
                                "schema/schema.graphql."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _with_refusals(paths),
        "components": {
            "responses": {
                "BodyTooLarge": _too_large("MAILSCOPE_MAX_BODY_BYTES"),
                "UploadTooLarge": _too_large(
                    "MAILSCOPE_MAX_UPLOAD_BYTES",
                    f"; a provider webhook's also over {WEBHOOK_MAX_BODY:,} bytes"),
                "RateLimited": _rate_limited(),
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API key (`ms_…`)."}},
            "schemas": {
                "Error": _ERROR,
                "BodyTooLarge": {"type": "object", "required": ["error"], "properties": {
                    "error": {"type": "string", "description": "request body too large"},
                    "detail": {"type": "string",
                               "description": "The limit, its setting and the fix."},
                    "limit": {"type": "integer", "description": "The limit in bytes."}}},
                "RateLimited": {
                    "type": "object", "required": ["error", "limit", "detail", "retry_after"],
                    "properties": {
                        "error": {"type": "string", "description": "rate limit exceeded"},
                        "limit": {"type": "string", "description": "Which limit: the "
                                                                   "per-key or anonymous one."},
                        "detail": {"type": "string", "description":
                                   "The limit's burst and rate, and the wait."},
                        "retry_after": {"type": "integer", "minimum": 1,
                                        "description": "As the Retry-After header."}}},
                "ImportReport": {"type": "object", "properties": {
                    "kind": {"type": "string"}, "received": {"type": "integer"},
                    "inserted": {"type": "integer"}, "updated": {"type": "integer"},
                    "unchanged": {"type": "integer"}, "rejected": {"type": "integer"},
                    "erased": {"type": "integer", "description":
                               "Rows skipped: they name customers erased on request."},
                    "expired": {"type": "integer", "description":
                                "Events skipped: older than the raw-event retention."},
                    "summary": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object"}}}},
                "WebhookReceipt": {"type": "object", "properties": {
                    "provider": {"type": "string"}, "delivery": {"type": "integer"},
                    "duplicate": {"type": "boolean"}, "events": {"type": "integer"},
                    "job": {"type": ["integer", "null"]}}},
            }},
    }


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def export_openapi(path: Path = OPENAPI_PATH) -> Path:
    """Write the document to ``path``; returns it."""
    path.write_text(openapi_text())
    return path


async def openapi_endpoint(request: Request) -> Response:
    return JSONResponse(openapi_document())


routes = [Route("/api/openapi.json", openapi_endpoint, methods=["GET"])]
