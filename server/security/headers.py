"""Security headers on every response, errors included.

Pages allow scripts and styles from this origin only (no inline code: the templates keep
theirs in server/web/static). GraphiQL, a vendored React app, sets style attributes as it
renders, so /graphql alone also allows inline styles; scripts stay 'self' there too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON_CSP = ("default-src 'self'; script-src 'self'; img-src 'self' data:; "
               "font-src 'self' data:; connect-src 'self'; object-src 'none'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_CSP = f"{_COMMON_CSP}; style-src 'self'"
GRAPHIQL_CSP = f"{_COMMON_CSP}; style-src 'self' 'unsafe-inline'"
GRAPHIQL_PATH = "/graphql"

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                           "magnetometer=(), microphone=(), payment=(), usb=(), "
                           "interest-cohort=()"),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def content_security_policy(path: str) -> str:
    return GRAPHIQL_CSP if path == GRAPHIQL_PATH else PAGE_CSP


class SecurityHeaders:
    """Adds ``HEADERS`` and the path's Content-Security-Policy to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = content_security_policy(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                headers["Content-Security-Policy"] = policy
            await send(message)

        await self.app(scope, receive, send_with_headers)
