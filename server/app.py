"""The application factory: middleware, /healthz, /metrics, /graphql, pages and data API."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cross_web import HTTPException as GraphQLHTTPError
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from schema.context import Context, build_context
from schema.root import schema
from server import web
from server.api import data as data_api
from server.api import openapi as openapi_api
from server.api import webhooks as webhooks_api
from server.api.persisted_queries import PersistedQueries
from server.auth import ApiKeyBackend, Principal, ingest_may_use, is_public_path
from server.db.engine import engine_for
from server.db.repository import email_hashing, stage_sweep
from server.observability import Metrics, MetricsMiddleware, metrics_endpoint
from server.security.body_limit import BodyLimit
from server.security.headers import SecurityHeaders
from server.security.ratelimit import Buckets, Limit, LocalBuckets, RateLimit, RedisBuckets
from server.settings import Settings, get_settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
SESSION_MAX_AGE = 8 * 60 * 60

GRAPHIQL_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Mailscope GraphQL</title>
  <link rel="stylesheet" href="/static/graphiql/graphiql.min.css">
  <link rel="stylesheet" href="/static/graphiql/page.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/static/graphiql/react.production.min.js"></script>
  <script src="/static/graphiql/react-dom.production.min.js"></script>
  <script src="/static/graphiql/graphiql.min.js"></script>
  <script src="/static/graphiql/init.js"></script>
</body>
</html>
"""


def app_version() -> str:
    try:
        return version("mailscope")
    except PackageNotFoundError:
        return "unknown"


class MailscopeGraphQL(GraphQL[Context, None]):
    """/graphql with the per-request context and GraphiQL served from vendored files."""

    async def get_context(self, request: Any, response: Any) -> Context:
        state = request.app.state
        request.state.graphql_response = response
        return build_context(user=request.user, engine=state.engine, settings=state.settings)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        # A request refused before it ran (syntax, unknown field, wrong argument type, the
        # depth, alias and token limits) is the client's error: 400, its errors named in
        # the body. Errors while running keep 200 beside their partial data.
        if result.data is None and result.errors:
            response = getattr(request.state, "graphql_response", None)
            if response is not None:
                response.status_code = 400
        return await super().process_result(request, result)

    async def render_graphql_ide(self, request: Any) -> Response:
        return HTMLResponse(GRAPHIQL_HTML)

    def decode_json(self, data: str | bytes) -> object:
        # json.loads recurses once per nesting level: a body of 100,000 "[" would end in
        # RecursionError (a 500) instead of a refusal.
        try:
            return json.loads(data)
        except RecursionError:
            raise GraphQLHTTPError(400, "The JSON body is nested too deeply: send a GraphQL "
                                        "request object {\"query\": ..., \"variables\": ...}"
                                   ) from None


def _is_api_path(path: str) -> bool:
    return path == "/graphql" or path == "/metrics" or path.startswith("/api/")


class AuthGate:
    """Turns anonymous requests away: 401 JSON for programs, the login page for people."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        user = scope.get("user")
        if isinstance(user, Principal):
            if user.role == "ingest" and not ingest_may_use(scope["method"], scope["path"]):
                await self.ingest_only(HTTPConnection(scope))(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        await self.refuse(HTTPConnection(scope))(scope, receive, send)

    @staticmethod
    def ingest_only(conn: HTTPConnection) -> Response:
        message = ("An ingest key may only import data (POST /api/import/<kind>, the "
                   "GraphQL write mutations); ask an admin for a viewer key to read.")
        if _is_api_path(conn.url.path):
            return JSONResponse({"error": "not allowed", "detail": message}, status_code=403)
        return web.render_error(Request(conn.scope), 403, "Not allowed", message)

    @staticmethod
    def refuse(conn: HTTPConnection) -> Response:
        path = conn.url.path
        target = path + (f"?{conn.url.query}" if conn.url.query else "")
        login = "/login?next=" + quote(target, safe="")
        wants_html = "text/html" in conn.headers.get("accept", "")
        if conn.headers.get("hx-request") == "true":
            # htmx swaps response bodies into the page; HX-Redirect makes it navigate.
            return Response(status_code=401, headers={"HX-Redirect": login})
        page_get = conn.scope["method"] in ("GET", "HEAD") and (
            wants_html or not _is_api_path(path))
        if page_get:
            return RedirectResponse(login, status_code=303)
        return JSONResponse(
            {"error": "authentication required",
             "detail": "Send 'Authorization: Bearer <API key>'; create a key with "
                       "`mailscope apikey create --role viewer`."},
            status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def healthz(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    engine = request.app.state.engine

    def database_reachable() -> bool:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # the health check reports the failure instead of raising it
            log.exception("health check: database unreachable")
            return False

    reachable = await run_in_threadpool(database_reachable)
    body = {"status": "ok" if reachable else "degraded", "database": reachable,
            "broker": "redis" if settings.broker_url else "embedded",
            "version": app_version()}
    return JSONResponse(body, status_code=200 if reachable else 503)


async def not_found(request: Request, exc: Exception) -> Response:
    """JSON for API clients, the error page for people."""
    if _is_api_path(request.url.path):
        return JSONResponse({"error": f"no such endpoint: {request.url.path}; see "
                                      "/api/openapi.json"}, status_code=404)
    return await web.not_found(request, exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                        headers=exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """The last resort: a database that cannot be reached (stopped, restarting, network
    gone) is a 503 the client may retry, with nothing stored; anything else a plain 500.
    Pooled connections are checked before use, so the next request after the database is
    back works without restarting the server."""
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning("database unavailable for %s %s: %s", request.method, request.url.path,
                    type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__)
        return JSONResponse({"error": "The database is unavailable right now; nothing was "
                                      "changed. Retry in a few seconds."},
                            status_code=503, headers={"Retry-After": "5"})
    return PlainTextResponse("Internal Server Error", status_code=500)


def _lifespan(settings: Settings, buckets: Buckets) -> Callable[[Starlette], Any]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Before any import of this process starts: folders of killed imports go, those
        # of live imports (another process) stay.
        await run_in_threadpool(stage_sweep.sweep_for, settings.database_url)
        # Refuse to serve when MAILSCOPE_EMAIL_HASHING does not match the stored addresses.
        await run_in_threadpool(email_hashing.check_engine,
                                engine_for(settings.database_url), settings)
        workers = None
        if settings.broker_url is None:
            from jobs import embedded

            workers = embedded.start(settings)
        try:
            yield
        finally:
            if workers is not None:
                await run_in_threadpool(workers.stop)
            if isinstance(buckets, RedisBuckets):
                await buckets.close()

    return lifespan


def _graphql_app(settings: Settings) -> ASGIApp:
    """/graphql, behind the persisted-query map when one is configured."""
    app: ASGIApp = MailscopeGraphQL(schema)
    if settings.graphql_persisted_queries is None:
        if settings.graphql_persisted_only:
            raise ValueError("MAILSCOPE_GRAPHQL_PERSISTED_ONLY needs the manifest: set "
                             "MAILSCOPE_GRAPHQL_PERSISTED_QUERIES to its path")
        return app
    from schema.persisted import load_persisted

    documents = load_persisted(settings.graphql_persisted_queries)
    return PersistedQueries(app, documents, only=settings.graphql_persisted_only)


class MailscopeApp(Starlette):
    """Starlette with the security headers outside everything, so that every response
    carries them, the server-error page included."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def rate_limit_buckets(settings: Settings) -> Buckets:
    """Shared buckets in Redis when one is configured, else this process's own."""
    url = settings.rate_limit_redis
    return RedisBuckets(url) if url else LocalBuckets()


def create_app(settings: Settings | None = None) -> Starlette:
    """The Mailscope ASGI app for ``settings`` (default: the settings in force)."""
    settings = settings or get_settings()
    webhooks_api.redact_access_log()
    engine = engine_for(settings.database_url)
    metrics = Metrics(engine)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/graphql", _graphql_app(settings), methods=["GET", "POST"]),
        *data_api.routes,
        *webhooks_api.routes,
        *openapi_api.routes,
        *web.routes,
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    buckets = rate_limit_buckets(settings)
    middleware = [
        Middleware(MetricsMiddleware, metrics=metrics),
        Middleware(BodyLimit, max_body=settings.max_body_bytes,
                   max_upload=settings.max_upload_bytes),
        Middleware(SessionMiddleware, secret_key=settings.resolved_secret_key(),
                   https_only=False, same_site="lax", max_age=SESSION_MAX_AGE),
        Middleware(AuthenticationMiddleware, backend=ApiKeyBackend(settings, engine)),
        Middleware(RateLimit, buckets=buckets,
                   per_key=Limit(settings.rate_limit_per_second, settings.rate_limit_burst,
                                 "MAILSCOPE_RATE_LIMIT_PER_SECOND/_BURST"),
                   anonymous=Limit(settings.rate_limit_anonymous_per_second,
                                   settings.rate_limit_anonymous_burst,
                                   "MAILSCOPE_RATE_LIMIT_ANONYMOUS_PER_SECOND/_BURST")),
        Middleware(AuthGate),
    ]
    app = MailscopeApp(routes=routes, middleware=middleware,
                       exception_handlers={HTTPException: http_error, 404: not_found,
                                           Exception: unexpected_error},
                       lifespan=_lifespan(settings, buckets))
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = metrics
    return app
