"""API keys, roles and the authentication backend every request passes through.

A key authenticates either as ``Authorization: Bearer <key>`` (API clients) or through
the signed session cookie set by the login page (browsers). ``MAILSCOPE_AUTH=false`` is
a development mode in which every request is an admin called "anonymous".
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from server.db.engine import get_engine, session_scope
from server.db.models import ROLES, ApiKey
from server.db.types import utcnow
from server.settings import Settings

KEY_PREFIX = "ms_"
DISPLAY_PREFIX_LENGTH = 8
# last_used_at is informational; writing it on every request would turn each read into a
# write (and serialise SQLite writers), so it is refreshed at most once a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# viewer < analyst < admin is a ladder; "ingest" sits beside it: it may only import data.
_RANK = {"viewer": 1, "analyst": 2, "admin": 3}
# Provider webhooks authenticate each delivery by its signature (server.runners.webhooks).
PUBLIC_PREFIXES = ("/static/", "/webhooks/")
PUBLIC_PATHS = frozenset({"/healthz", "/login"})


class RoleError(ValueError):
    """A role name that is not one of ``ROLES``."""


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def role_satisfies(have: str, need: str) -> bool:
    """Whether a key with role ``have`` may do what needs role ``need``."""
    validate_role(need)
    if have == "admin":
        return True
    if need == "ingest" or have == "ingest":
        return have == need
    return _RANK.get(have, 0) >= _RANK[need]


def hash_key(raw_key: str) -> str:
    # A plain SHA-256 is enough: the key carries 256 bits of randomness, so there is no
    # dictionary to try and a slow KDF (bcrypt, argon2) would only add latency to every
    # API request. Unlike passwords, a leaked hash table cannot be brute-forced back.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def create_api_key(*, session: Session, name: str, role: str) -> tuple[ApiKey, str]:
    """A new key with ``role``; returns the row and the raw key (show it once, never store).

    Raises ``RoleError`` for an unknown role and ``ValueError`` for an empty name.
    """
    validate_role(role)
    name = name.strip()
    if not name:
        raise ValueError("API key name is empty: give it a name that says who uses it")
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, role=role, key_hash=hash_key(raw_key),
                 prefix=raw_key[:DISPLAY_PREFIX_LENGTH])
    session.add(key)
    session.flush()
    return key, raw_key


def authenticate_key(*, session: Session, raw_key: str) -> ApiKey | None:
    """The unrevoked key whose raw value is ``raw_key``, or None."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(raw_key))).first()
    if key is None or key.revoked_at is not None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        session.add(key)
        session.flush()
    return key


def revoke_api_key(*, session: Session, key_id: int) -> ApiKey:
    """Revoke key ``key_id`` (idempotent); raises ``LookupError`` when it does not exist."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise LookupError(f"API key {key_id} does not exist: `mailscope apikey list` shows ids")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
    return key


def list_api_keys(*, session: Session) -> Sequence[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return session.exec(select(ApiKey).order_by(col(ApiKey.id))).all()


@dataclass(frozen=True)
class Principal(BaseUser):
    """Who is making the request: the key's id, name and role."""

    key_id: int | None
    name: str
    role: str

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def identity(self) -> str:
        return "anonymous" if self.key_id is None else str(self.key_id)

    def has_role(self, role: str) -> bool:
        return role_satisfies(self.role, role)


ANONYMOUS_ADMIN = Principal(key_id=None, name="anonymous", role="admin")


def principal_for(key: ApiKey) -> Principal:
    return Principal(key_id=key.id, name=key.name, role=key.role)


class ApiKeyBackend(AuthenticationBackend):
    """Bearer key first, else the session cookie's ``api_key_id``."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials,
                                                                 BaseUser] | None:
        if not self.settings.auth:
            return AuthCredentials(["authenticated"]), ANONYMOUS_ADMIN
        header = conn.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        raw_key = credential.strip() if scheme.lower() == "bearer" else ""
        key_id = None
        if not raw_key and "session" in conn.scope:
            value = conn.session.get("api_key_id")
            key_id = value if isinstance(value, int) else None
        if not raw_key and key_id is None:
            return None
        principal = await run_in_threadpool(self._lookup, raw_key, key_id)
        if principal is None:
            return None
        return AuthCredentials(["authenticated"]), principal

    def _lookup(self, raw_key: str, key_id: int | None) -> Principal | None:
        with session_scope(self.engine or get_engine()) as session:
            if raw_key:
                key = authenticate_key(session=session, raw_key=raw_key)
            else:
                key = session.get(ApiKey, key_id)
                if key is not None and key.revoked_at is not None:
                    key = None
            return principal_for(key) if key is not None else None


def is_public_path(path: str) -> bool:
    """Paths anyone may request without a key: health check, login page, static files,
    provider webhooks (which prove themselves by signature)."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def require_role(request: HTTPConnection, role: str) -> Principal:
    """The request's principal when it has ``role``; else 401 (no key) or 403 (too weak)."""
    user = request.user
    if not isinstance(user, Principal):
        raise HTTPException(401, "Authentication required: send 'Authorization: Bearer "
                                 "<API key>' (create one with `mailscope apikey create`).",
                            headers={"WWW-Authenticate": "Bearer"})
    if not user.has_role(role):
        raise HTTPException(403, f"This needs the {role!r} role (or admin); your key "
                                 f"{user.name!r} has the {user.role!r} role.")
    return user
