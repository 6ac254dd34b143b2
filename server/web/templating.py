"""The Jinja2 environment and the page-or-fragment renderer every route uses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from server.csrf import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


def _number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


def _money(value: Any, currency: str = "") -> str:
    # The schema may hand money over as a {amount, currency} object or a bare decimal
    # with its currency beside it.
    if value is None:
        return "—"
    if isinstance(value, dict):
        currency = value.get("currency") or ""
        value = value.get("amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f} {currency}".strip()


def _date(value: Any) -> str:
    if not value:
        return "—"
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):.2%}"


def _label(value: Any) -> str:
    if not value:
        return "—"
    return str(value).replace("_", " ").lower()


def span(seconds: Any) -> str:
    """Seconds as the largest whole unit: 86400 -> ``1d``, 5400 -> ``90m``; empty for none."""
    if not seconds:
        return ""
    seconds = int(seconds)
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=_number, money=_money, when=_date, label=_label,
                       percent=_percent, span=span)
    return env


env = build_environment()


def is_htmx(request: Request) -> bool:
    """True when htmx made the request and expects a fragment, not a whole page.

    Boosted links and history restores want the whole page, so they are not fragments.
    """
    headers = request.headers
    return (headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true"
            and headers.get("hx-history-restore-request") != "true")


def page_context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    user = request.scope.get("user")
    authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
    return {"request": request, "csrf_token": csrf_token(request),
            "user": user if authenticated else None, **context}


class TemplateResponse(HTMLResponse):
    """A rendered page or fragment that keeps its template name and context, as
    Starlette's ``TemplateResponse`` does, so tests can assert the values a page shows
    (``response.template``, ``response.context``) rather than search its HTML."""

    def __init__(self, body: str, *, template: str, context: dict[str, Any],
                 status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(body, status_code=status_code, headers=headers)
        self.template = template
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The test client asks for this extension and sets template and context on its
        # response; servers do not, so nothing more is sent in production.
        if "http.response.debug" in scope.get("extensions", {}):
            await send({"type": "http.response.debug",
                        "info": {"template": self.template, "context": self.context}})
        await super().__call__(scope, receive, send)


def render(request: Request, name: str, context: dict[str, Any], *, fragment: str | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> TemplateResponse:
    """Render template ``name``: the whole page, or only block ``fragment`` when the
    request comes from htmx. Page and fragment share one block, so they cannot drift."""
    template = env.get_template(name)
    full = page_context(request, context)
    if fragment is not None and is_htmx(request):
        block = template.blocks[fragment]
        body = "".join(block(template.new_context(full)))
    else:
        body = template.render(full)
    response = TemplateResponse(body, template=name, context=context,
                                status_code=status_code, headers=headers)
    # The same URL answers with a page or a fragment; caches must keep them apart.
    response.headers["Vary"] = "HX-Request"
    return response


def render_error(request: Request, status_code: int, title: str,
                 message: str) -> TemplateResponse:
    """The error page (or its message block for htmx requests) with ``status_code``."""
    # htmx swaps the message into the page's flash area, leaving the content in place.
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"} if is_htmx(request) else None
    return render(request, "error.html", {"status_code": status_code, "title": title,
                                          "message": message},
                  fragment="message", status_code=status_code, headers=headers)
