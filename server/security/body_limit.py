"""Refuse request bodies over a size limit, by Content-Length before reading any of it and
by counting while it streams in (chunked bodies), so no body over the limit is ever held
in memory whole."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Paths that take files: imports and provider webhooks (webhook batches can be large).
UPLOAD_PREFIXES = ("/api/import/", "/webhooks/")


class BodyTooLarge(Exception):
    """The body went over the limit while it streamed in."""


def _refusal(limit: int, setting: str) -> tuple[int, bytes]:
    body = {"error": "request body too large",
            "detail": f"the body is larger than the limit of {limit:,} bytes "
                      f"({setting}); send a smaller file or split it",
            "limit": limit}
    return 413, json.dumps(body).encode()


class BodyLimit:
    """413 for bodies over ``max_body`` (``max_upload`` on upload paths)."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    def limit_for(self, path: str) -> tuple[int, str]:
        if path.startswith(UPLOAD_PREFIXES):
            return self.max_upload, "MAILSCOPE_MAX_UPLOAD_BYTES"
        return self.max_body, "MAILSCOPE_MAX_BODY_BYTES"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    await _send(send, 400, json.dumps(
                        {"error": "bad Content-Length",
                         "detail": "Content-Length must be a whole number of bytes"}).encode())
                    return
                if int(value) > limit:
                    await _send(send, *_refusal(limit, setting))
                    return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _send(send, *_refusal(limit, setting))


async def _send(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
