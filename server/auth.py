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
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from server.db.engine import get_engine, session_scope
from server.db.models import ROLES, ApiKey
from server.db.repository.audit import record_audit
from server.db.types import utcnow
from server.settings import Settings

KEY_PREFIX = "ms_"
DISPLAY_PREFIX_LENGTH = 8
# last_used_at is informational; writing it on every request would turn each read into a
# write (and serialise SQLite writers), so it is refreshed at most once a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The longest a rotated key's old secret may keep working.
MAX_GRACE = timedelta(days=7)

# viewer < analyst < admin is a ladder; "ingest" sits beside it: it may only import data.
_RANK = {"viewer": 1, "analyst": 2, "admin": 3}
# Provider webhooks authenticate each delivery by its signature (server.runners.webhooks).
PUBLIC_PREFIXES = ("/static/", "/webhooks/")
PUBLIC_PATHS = frozenset({"/healthz", "/login"})
SESSION_KEY_ID = "api_key_id"
SESSION_STAMP = "api_key_stamp"
# What an ingest key may reach besides the public paths: the import endpoint, /graphql
# (whose fields check roles themselves: only the write mutations let ingest in), the API
# description and signing out. Every page and export refuses it with 403.
INGEST_ROUTES = frozenset({("POST", "/graphql"), ("GET", "/api/openapi.json"),
                           ("HEAD", "/api/openapi.json"), ("POST", "/logout")})
INGEST_PREFIXES = ("/api/import/",)


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


@dataclass(frozen=True)
class Actor:
    """Who performs an administrative action, as the audit log records them."""

    name: str
    key_id: int | None = None


CLI_ACTOR = Actor("command line")


def _new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_api_key(*, session: Session, name: str, role: str,
                   expires_at: datetime | None = None,
                   actor: Actor = CLI_ACTOR) -> tuple[ApiKey, str]:
    """A new key with ``role``; returns the row and the raw key (show it once, never store).

    Raises ``RoleError`` for an unknown role and ``ValueError`` for an empty name or an
    expiry that is not in the future.
    """
    validate_role(role)
    name = name.strip()
    if not name:
        raise ValueError("API key name is empty: give it a name that says who uses it")
    if expires_at is not None and expires_at <= utcnow():
        raise ValueError(f"expiry {expires_at.isoformat()} is not in the future: give a "
                         "later time, or none for a key that does not expire")
    raw_key = _new_secret()
    key = ApiKey(name=name, role=role, key_hash=hash_key(raw_key),
                 prefix=raw_key[:DISPLAY_PREFIX_LENGTH], expires_at=expires_at)
    session.add(key)
    session.flush()
    record_audit(session=session, actor=actor.name, actor_key_id=actor.key_id,
                 action="apikey.create", target=f"key {key.id} ({name})",
                 detail={"role": role, "expires_at": expires_at})
    return key, raw_key


def rotate_api_key(*, session: Session, key_id: int, grace: timedelta = timedelta(0),
                   actor: Actor = CLI_ACTOR) -> tuple[ApiKey, str]:
    """Give key ``key_id`` a new secret; returns the row and the new raw key.

    The old secret stops working at once, or after ``grace`` (at most ``MAX_GRACE``) so
    that the clients using it can be switched over. Raises ``LookupError`` for an unknown
    key and ``ValueError`` for a revoked one or a grace out of range.
    """
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise ValueError(f"grace period {grace} is out of range: use 0 (the old secret "
                         f"stops at once) up to {MAX_GRACE}")
    key = _existing_key(session, key_id)
    if key.revoked_at is not None:
        raise ValueError(f"API key {key_id} is revoked: create a new key instead")
    raw_key = _new_secret()
    now = utcnow()
    key.previous_key_hash = key.key_hash if grace > timedelta(0) else None
    key.previous_valid_until = now + grace if grace > timedelta(0) else None
    key.key_hash = hash_key(raw_key)
    key.prefix = raw_key[:DISPLAY_PREFIX_LENGTH]
    key.rotated_at = now
    session.add(key)
    session.flush()
    record_audit(session=session, actor=actor.name, actor_key_id=actor.key_id,
                 action="apikey.rotate", target=f"key {key.id} ({key.name})",
                 detail={"grace_seconds": int(grace.total_seconds())})
    return key, raw_key


def is_usable(key: ApiKey, now: datetime) -> bool:
    """Not revoked and not expired."""
    return key.revoked_at is None and (key.expires_at is None or now < key.expires_at)


def key_status(key: ApiKey, now: datetime) -> str:
    """"revoked", "expired" or "active"."""
    if key.revoked_at is not None:
        return "revoked"
    return "active" if is_usable(key, now) else "expired"


def authenticate_key(*, session: Session, raw_key: str) -> ApiKey | None:
    """The usable key whose current secret (or previous one, within its rotation grace
    period) is ``raw_key``, or None."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    hashed = hash_key(raw_key)
    now = utcnow()
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hashed)).first()
    if key is None:
        key = session.exec(select(ApiKey).where(ApiKey.previous_key_hash == hashed)).first()
        if key is not None and (key.previous_valid_until is None
                                or now >= key.previous_valid_until):
            key = None
    if key is None or not is_usable(key, now):
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        session.add(key)
        session.flush()
    return key


def _existing_key(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise LookupError(f"API key {key_id} does not exist: `mailscope apikey list` shows ids")
    return key


def revoke_api_key(*, session: Session, key_id: int, actor: Actor = CLI_ACTOR) -> ApiKey:
    """Revoke key ``key_id`` (idempotent) and any rotation grace of its old secret;
    raises ``LookupError`` when it does not exist. Takes effect on the next request."""
    key = _existing_key(session, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.previous_key_hash = None
        key.previous_valid_until = None
        session.add(key)
        session.flush()
        record_audit(session=session, actor=actor.name, actor_key_id=actor.key_id,
                     action="apikey.revoke", target=f"key {key.id} ({key.name})")
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

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.key_id)


ANONYMOUS_ADMIN = Principal(key_id=None, name="anonymous", role="admin")


def session_stamp(key: ApiKey) -> str:
    """What a browser session remembers of the secret it signed in with (a hash prefix,
    never the secret): rotating the key changes it, which ends those sessions."""
    return key.key_hash[:16]


def sign_in(session: dict[str, object], key: ApiKey) -> None:
    """Mark a browser session as signed in with ``key``."""
    session[SESSION_KEY_ID] = key.id
    session[SESSION_STAMP] = session_stamp(key)


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
        key_id, secret = None, ""
        if not raw_key and "session" in conn.scope:
            value, stamp = conn.session.get(SESSION_KEY_ID), conn.session.get(SESSION_STAMP)
            key_id = value if isinstance(value, int) else None
            secret = stamp if isinstance(stamp, str) else ""
        if not raw_key and key_id is None:
            return None
        principal = await run_in_threadpool(self._lookup, raw_key, key_id, secret)
        if principal is None:
            return None
        return AuthCredentials(["authenticated"]), principal

    def _lookup(self, raw_key: str, key_id: int | None, secret: str) -> Principal | None:
        with session_scope(self.engine or get_engine()) as session:
            if raw_key:
                key = authenticate_key(session=session, raw_key=raw_key)
            else:
                key = session.get(ApiKey, key_id)
                # A session signed in with a secret that has since been rotated ends too.
                if key is not None and (not is_usable(key, utcnow()) or not
                                        secrets.compare_digest(session_stamp(key), secret)):
                    key = None
            return principal_for(key) if key is not None else None


def is_public_path(path: str) -> bool:
    """Paths anyone may request without a key: health check, login page, static files,
    provider webhooks (which prove themselves by signature)."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def ingest_may_use(method: str, path: str) -> bool:
    """Whether an ingest key may send ``method path`` (see ``INGEST_ROUTES``)."""
    return (method, path) in INGEST_ROUTES or (
        method == "POST" and path.startswith(INGEST_PREFIXES))


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
