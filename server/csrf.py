"""Per-session CSRF tokens: forms carry ``csrf_token``, htmx sends ``X-CSRF-Token``."""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData
from starlette.requests import Request

SESSION_KEY = "csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def csrf_token(request: Request) -> str:
    """The session's token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def rotate_csrf_token(request: Request) -> str:
    """A fresh token, issued when the session's privilege changes (login)."""
    token = secrets.token_urlsafe(32)
    request.session[SESSION_KEY] = token
    return token


def csrf_problem(request: Request, form: FormData) -> str | None:
    """Why the request fails the CSRF check, or None when its token matches."""
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER) or form.get(FORM_FIELD)
    if not isinstance(expected, str) or not expected:
        return ("Your session has no security token (it may have expired). "
                "Reload the page and submit the form again.")
    if not isinstance(sent, str) or not sent:
        return (f"The request carried no security token: forms need the hidden "
                f"'{FORM_FIELD}' field and htmx requests the '{HEADER}' header. "
                "Reload the page and try again.")
    if not secrets.compare_digest(sent, expected):
        return ("The security token does not match this session (the page may be "
                "from an older session). Reload the page and try again.")
    return None
