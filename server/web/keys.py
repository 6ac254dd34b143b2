"""API keys for admins: list, create, rotate and revoke (the same as ``mailscope apikey``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.auth import (
    Principal,
    RoleError,
    create_api_key,
    key_status,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)
from server.csrf import csrf_problem
from server.db.engine import session_scope
from server.db.types import utcnow
from server.web.operations import request_engine
from server.web.roles import role_refusal
from server.web.templating import render, render_error

ROLE_CHOICES = ("viewer", "analyst", "admin", "ingest")


def _keys(request: Request) -> list[dict[str, Any]]:
    now = utcnow()
    with session_scope(request_engine(request)) as session:
        return [{"id": key.id, "name": key.name, "prefix": key.prefix, "role": key.role,
                 "created_at": key.created_at, "last_used_at": key.last_used_at,
                 "expires_at": key.expires_at, "rotated_at": key.rotated_at,
                 "status": key_status(key, now)}
                for key in list_api_keys(session=session)]


def _page(request: Request, *, new_key: str | None = None, notice: str | None = None,
          error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "keys.html",
                  {"keys": _keys(request), "roles": ROLE_CHOICES, "new_key": new_key,
                   "notice": notice, "error": error},
                  fragment="keys", status_code=status_code,
                  # A page showing a new secret must never be cached.
                  headers={"Cache-Control": "no-store"})


async def keys_page(request: Request) -> Response:
    return role_refusal(request, "admin", "Managing API keys") or _page(request)


async def _checked_form(request: Request) -> tuple[FormData, Response | None]:
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return form, render_error(request, 403, "Form expired", problem)
    return form, role_refusal(request, "admin", "Managing API keys")


def _actor(request: Request) -> Any:
    user = request.user
    assert isinstance(user, Principal)
    return user.actor


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def create_key(request: Request) -> Response:
    form, refusal = await _checked_form(request)
    if refusal is not None:
        return refusal
    days = _field(form, "expires_in_days")
    expires_at = None
    if days:
        try:
            count = float(days)
        except ValueError:
            count = -1.0
        if not 0 < count <= 3650:
            return _page(request, error=f"Expires in days: {days!r} is not a number of days "
                                        "between 1 and 3650; leave it empty for no expiry.",
                         status_code=400)
        expires_at = utcnow() + timedelta(days=count)
    try:
        with session_scope(request_engine(request)) as session:
            key, raw_key = create_api_key(session=session, name=_field(form, "name"),
                                          role=_field(form, "role"), expires_at=expires_at,
                                          actor=_actor(request))
            notice = f"Key {key.id} ({key.name}, {key.role}) created."
    except (RoleError, ValueError) as error:
        return _page(request, error=f"Name/role: {error}", status_code=400)
    return _page(request, new_key=raw_key, notice=notice)


async def rotate_key(request: Request) -> Response:
    form, refusal = await _checked_form(request)
    if refusal is not None:
        return refusal
    minutes = _field(form, "grace_minutes") or "0"
    try:
        grace = timedelta(minutes=float(minutes))
    except ValueError:
        return _page(request, error=f"Grace minutes: {minutes!r} is not a number.",
                     status_code=400)
    key_id = request.path_params["key_id"]
    try:
        with session_scope(request_engine(request)) as session:
            key, raw_key = rotate_api_key(session=session, key_id=key_id, grace=grace,
                                          actor=_actor(request))
            notice = f"Key {key.id} ({key.name}) has a new secret."
    except LookupError as error:
        return _page(request, error=str(error), status_code=404)
    except ValueError as error:
        return _page(request, error=str(error), status_code=400)
    return _page(request, new_key=raw_key, notice=notice)


async def revoke_key(request: Request) -> Response:
    _, refusal = await _checked_form(request)
    if refusal is not None:
        return refusal
    key_id = request.path_params["key_id"]
    try:
        with session_scope(request_engine(request)) as session:
            key = revoke_api_key(session=session, key_id=key_id, actor=_actor(request))
            notice = f"Key {key.id} ({key.name}) is revoked."
    except LookupError as error:
        return _page(request, error=str(error), status_code=404)
    return _page(request, notice=notice)


routes = [
    Route("/settings/keys", keys_page, methods=["GET"]),
    Route("/settings/keys", create_key, methods=["POST"]),
    Route("/settings/keys/{key_id:int}/rotate", rotate_key, methods=["POST"]),
    Route("/settings/keys/{key_id:int}/revoke", revoke_key, methods=["POST"]),
]
