"""Signing in with an API key and out again."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.auth import authenticate_key, hash_key, sign_in
from server.csrf import csrf_problem, rotate_csrf_token
from server.db.engine import session_scope
from server.web.operations import request_engine
from server.web.templating import render, render_error

DEFAULT_NEXT = "/campaigns"


def safe_next(value: object) -> str:
    """``value`` when it is a path on this site, else the default landing page.

    Refuses absolute and scheme-relative URLs (``//evil``, ``/\\evil``) so the login form
    cannot be used as an open redirect.
    """
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return DEFAULT_NEXT
    if "\\" in value or any(ord(char) < 32 for char in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return value


async def login_page(request: Request) -> Response:
    return render(request, "login.html",
                  {"next": safe_next(request.query_params.get("next")), "error": None})


async def login_submit(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    next_path = safe_next(form.get("next"))
    raw_key = form.get("api_key")
    raw_key = raw_key.strip() if isinstance(raw_key, str) else ""
    if not raw_key:
        return render(request, "login.html",
                      {"next": next_path, "error": "Enter your API key in the 'API key' field."},
                      status_code=401)
    with session_scope(request_engine(request)) as session:
        key = authenticate_key(session=session, raw_key=raw_key)
    if key is None:
        return render(request, "login.html",
                      {"next": next_path,
                       "error": "That API key is unknown or revoked. Check it, or ask an "
                                "admin for a new one (mailscope apikey create --role viewer)."},
                      status_code=401)
    if hash_key(raw_key) != key.key_hash:
        # A rotated key's old secret still works for API clients during its grace period,
        # but a new browser session would outlive that period: sign in with the new one.
        return render(request, "login.html",
                      {"next": next_path,
                       "error": "That secret was rotated: sign in with the key's new secret."},
                      status_code=401)
    # A fresh session on login, so a token planted before sign-in is worthless.
    request.session.clear()
    sign_in(request.session, key)
    rotate_csrf_token(request)
    return RedirectResponse(next_path, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
