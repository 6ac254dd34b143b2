"""``/graphql`` with persisted queries: requests that send only a hash get its document,
and in persisted-only mode a document that is not in the map is refused.

It wraps the GraphQL app and rewrites the request before Strawberry reads it, so the
schema and its limits run exactly as for a document sent in full. The pages run their
operations in process, not over HTTP, and are not affected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.persisted import document_hash

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"


class Refusal(Exception):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def resolve(payload: Any, documents: Mapping[str, str], only: bool) -> Any:
    """``payload`` (one request or a batch) with hashes replaced by their documents;
    raises ``Refusal`` for an unknown hash or, in persisted-only mode, a document that
    is not persisted."""
    if isinstance(payload, list):
        return [resolve(item, documents, only) for item in payload]
    if not isinstance(payload, dict):
        return payload
    extensions = payload.get("extensions")
    if isinstance(extensions, str):
        try:
            extensions = json.loads(extensions)
        except ValueError:
            extensions = None
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    wanted = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    query = payload.get("query")
    if isinstance(wanted, str) and not query:
        document = documents.get(wanted.lower())
        if document is None:
            raise Refusal(NOT_FOUND, f"PersistedQueryNotFound: no persisted query has hash "
                                     f"{wanted}; register it in the manifest "
                                     "(MAILSCOPE_GRAPHQL_PERSISTED_QUERIES)", 200)
        return {**payload, "query": document}
    if only and isinstance(query, str) and document_hash(query) not in documents:
        raise Refusal(NOT_ALLOWED, "PersistedQueryNotAllowed: this server runs persisted "
                                   "queries only; send extensions.persistedQuery.sha256Hash "
                                   "of a registered document", 400)
    return payload


class PersistedQueries:
    """ASGI wrapper of the GraphQL app (see the module docstring)."""

    def __init__(self, app: ASGIApp, documents: Mapping[str, str], *, only: bool) -> None:
        self.app, self.documents, self.only = app, documents, only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            if scope["method"] == "GET" and scope.get("query_string"):
                scope = self._rewrite_query_string(scope)
            elif scope["method"] == "POST" and self._is_json(scope):
                receive = await self._rewrite_body(receive)
        except Refusal as refusal:
            body = {"errors": [{"message": refusal.message,
                                "extensions": {"code": refusal.code}}]}
            await JSONResponse(body, status_code=refusal.status)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _is_json(scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                return bool(value.split(b";")[0].strip().lower() == b"application/json")
        return False

    def _rewrite_query_string(self, scope: Scope) -> Scope:
        params = dict(parse_qsl(scope["query_string"].decode(), keep_blank_values=True))
        resolved = resolve(params, self.documents, self.only)
        if resolved is params:
            return scope
        return {**scope, "query_string": urlencode(resolved).encode()}

    async def _rewrite_body(self, receive: Receive) -> Receive:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None  # Strawberry answers malformed JSON itself
        if payload is not None:
            resolved = resolve(payload, self.documents, self.only)
            if resolved is not payload:
                raw = json.dumps(resolved).encode()
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        return replay
