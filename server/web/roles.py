"""Who may do what on the pages: one role check and one refusal for every page.

The API enforces the same roles (``schema.context.require``); the pages check first so
that a form the key may not use is hidden, and a refused post says which role it needs.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.web.templating import render_error


def has_role(request: Request, role: str) -> bool:
    """True when the signed-in key has ``role`` (admin keys have every role)."""
    user = request.scope.get("user")
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and user.has_role(role))


def role_refusal(request: Request, role: str, action: str) -> Response | None:
    """The 403 page for ``action`` (e.g. "Rebuilding rollups") when the key lacks
    ``role``; None when it may go ahead."""
    if has_role(request, role):
        return None
    current = getattr(request.scope.get("user"), "role", "anonymous")
    if role == "admin":
        needs, ask = "the admin role", "Ask an admin."
    else:
        article = "an" if role[0] in "aeiou" else "a"
        needs, ask = f"the {role} or admin role", f"Ask an admin for {article} {role} key."
    return render_error(request, 403, "Not allowed",
                        f"{action} needs {needs}; your key has the '{current}' role. {ask}")
