"""One role check and one refusal for every page, on a tiny inline app."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from server.auth import Principal
from server.web.roles import has_role, role_refusal


class SignedIn:
    """Puts the key of the ``X-Role`` header (none when absent) on the scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        role = dict(scope["headers"]).get(b"x-role")
        if role is not None:
            scope["user"] = Principal(key_id=1, name="key", role=role.decode())
        await self.app(scope, receive, send)


async def check(request: Request) -> Response:
    role, action = request.path_params["role"], "Rebuilding rollups"
    refusal = role_refusal(request, role, action)
    if refusal is not None:
        return refusal
    return PlainTextResponse(f"allowed: {has_role(request, role)}")


def client() -> TestClient:
    app = Starlette(routes=[Route("/{role}", check)],
                    middleware=[Middleware(SessionMiddleware, secret_key="k" * 40),
                                Middleware(SignedIn)])
    return TestClient(app)


@pytest.mark.parametrize(("key_role", "needed", "allowed"), [
    ("admin", "analyst", True), ("admin", "admin", True), ("analyst", "analyst", True),
    ("analyst", "admin", False), ("viewer", "analyst", False), (None, "viewer", False),
])
def test_has_role(key_role: str | None, needed: str, allowed: bool) -> None:
    headers = {} if key_role is None else {"X-Role": key_role}
    response = client().get(f"/{needed}", headers=headers)
    assert (response.status_code == 200) is allowed
    if allowed:
        assert response.text == "allowed: True"


def test_refusals_name_the_role_needed_the_role_held_and_the_fix() -> None:
    analyst = client().get("/analyst", headers={"X-Role": "viewer"})
    assert analyst.status_code == 403
    assert analyst.template == "error.html"
    assert analyst.context == {
        "status_code": 403, "title": "Not allowed",
        "message": "Rebuilding rollups needs the analyst or admin role; your key has the "
                   "'viewer' role. Ask an admin for an analyst key."}
    admin = client().get("/admin", headers={"X-Role": "analyst"})
    assert admin.context["message"] == (
        "Rebuilding rollups needs the admin role; your key has the 'analyst' role. "
        "Ask an admin.")
    viewer = client().get("/viewer")
    assert viewer.context["message"] == (
        "Rebuilding rollups needs the viewer or admin role; your key has the 'anonymous' "
        "role. Ask an admin for a viewer key.")
