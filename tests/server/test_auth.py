"""The authorization matrix: every caller × every GraphQL root field and HTTP route.

Fields and routes are discovered (the schema's Query and Mutation types, the app's
routes), and each is checked against the one expectation table, ``tests/server/access.py``:
an allowed caller gets past the role check, a refused one gets 401 (no key) or 403 (too
weak a role), never the data.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)
from sqlalchemy import Engine
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from schema.context import NotAllowed, build_context
from schema.root import schema
from server.app import create_app
from server.auth import (
    Actor,
    Principal,
    authenticate_key,
    create_api_key,
    key_status,
    revoke_api_key,
    role_satisfies,
    rotate_api_key,
)
from server.db.engine import engine_for, session_scope
from server.db.models import ApiKey
from server.db.repository.audit import list_audit
from server.db.types import utcnow
from server.settings import Settings, configure
from tests.server import access
from tests.server.web.conftest import csrf_from, log_in, make_key

CALLERS = ("anonymous", "viewer", "analyst", "admin", "ingest")
HOW_TO_ADD = ("add a line to tests/server/access.py saying which role it needs "
              "(viewer, analyst, admin, ingest, 'any key', 'public' or 'signature')")
SCALAR_VALUES: dict[str, Any] = {
    "ID": "1", "String": "x", "Int": 1, "Float": 1.0, "Boolean": False,
    "Date": "2026-01-01", "DateTime": "2026-01-01T00:00:00+00:00", "Decimal": "1",
    "JSON": {},
}


def allowed(caller: str, need: str) -> bool:
    """Whether ``caller`` may use something that needs ``need``."""
    if need == "public":
        return True
    if need == "signature" or caller == "anonymous":
        return False
    return need == "any key" or role_satisfies(caller, need)


# -- GraphQL ------------------------------------------------------------------------------

def _sample(kind: GraphQLInputType) -> Any:
    """A value of ``kind`` that passes GraphQL coercion (required parts only)."""
    if isinstance(kind, GraphQLNonNull):
        return _sample(kind.of_type)
    if isinstance(kind, GraphQLList):
        return [_sample(kind.of_type)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {name: _sample(field.type) for name, field in kind.fields.items()
                if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined}
    assert isinstance(kind, GraphQLScalarType)
    return SCALAR_VALUES[kind.name]


def operation_for(operation: str, name: str, field: GraphQLField) -> tuple[str, dict[str, Any]]:
    """A document calling root field ``name`` with every required argument filled in."""
    required = {arg: spec for arg, spec in field.args.items()
                if isinstance(spec.type, GraphQLNonNull) and spec.default_value is Undefined}
    declared = ", ".join(f"${arg}: {spec.type}" for arg, spec in required.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in required)
    named = get_named_type(field.type)
    selection = "" if isinstance(named, (GraphQLScalarType, GraphQLEnumType)) else (
        " { __typename }")
    document = (f"{operation} Probe{'(' + declared + ')' if declared else ''} "
                f"{{ {name}{'(' + passed + ')' if passed else ''}{selection} }}")
    return document, {arg: _sample(spec.type) for arg, spec in required.items()}


def root_fields() -> list[tuple[str, str]]:
    graphql = schema._schema
    return [(operation, name)
            for operation, root in (("query", graphql.query_type),
                                    ("mutation", graphql.mutation_type))
            if root is not None for name in root.fields]


def test_every_graphql_field_has_an_expectation() -> None:
    declared = {("query", name) for name in access.QUERIES} | {
        ("mutation", name) for name in access.MUTATIONS}
    found = set(root_fields())
    missing = sorted(f"{operation} {name}" for operation, name in found - declared)
    stale = sorted(f"{operation} {name}" for operation, name in declared - found)
    assert missing == [], f"GraphQL fields without an access expectation: {missing}; {HOW_TO_ADD}"
    assert stale == [], f"tests/server/access.py names fields the schema lacks: {stale}"


@dataclass(frozen=True)
class World:
    settings: Settings
    engine: Engine
    keys: dict[str, str]


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One database and one key per role for the whole matrix."""
    folder = tmp_path_factory.mktemp("authz")
    shutil.copy(sqlite_template, folder / "mailscope.db")
    settings = configure(database_url=f"sqlite:///{folder / 'mailscope.db'}",
                         secret_key="authz-secret-" + "x" * 32, broker_url=None,
                         rate_limit_per_second=0, rate_limit_anonymous_per_second=0)
    engine = engine_for(settings.database_url)
    keys = {role: make_key(engine, role) for role in CALLERS if role != "anonymous"}
    yield World(settings, engine, keys)
    engine.dispose()
    configure()


def _principal(world: World, caller: str) -> Principal | None:
    if caller == "anonymous":
        return None
    return Principal(key_id=None, name=f"{caller} key", role=caller)


GRAPHQL_CASES = [(operation, name, caller) for operation, name in root_fields()
                 for caller in CALLERS]


@pytest.mark.parametrize(("operation", "name", "caller"), GRAPHQL_CASES,
                         ids=[f"{o} {n} as {c}" for o, n, c in GRAPHQL_CASES])
async def test_graphql_field_access(world: World, operation: str, name: str,
                                    caller: str) -> None:
    table = access.QUERIES if operation == "query" else access.MUTATIONS
    need = table.get(name)
    if need is None:
        pytest.fail(f"{operation} {name} has no access expectation; {HOW_TO_ADD}")
    root = schema._schema.query_type if operation == "query" else schema._schema.mutation_type
    assert root is not None
    document, variables = operation_for(operation, name, root.fields[name])
    context = build_context(user=_principal(world, caller), engine=world.engine,
                            settings=world.settings)
    result = await schema.execute(document, variable_values=variables,
                                  context_value=context)
    errors = result.errors or []
    refused = [error for error in errors if isinstance(error.original_error, NotAllowed)]
    if allowed(caller, need):
        assert refused == [], f"{operation} {name} refused a {caller} key: {refused}"
        # Every other error came from the resolver, so the role check was passed.
        assert all(error.original_error is not None for error in errors), (
            f"the probe of {operation} {name} did not reach its resolver: {errors}")
    else:
        assert len(refused) == 1, (
            f"{operation} {name} needs {need} but a {caller} caller got "
            f"{result.data!r} {errors!r}: call schema.context.require(info, {need!r})")
        assert "needs the" in str(refused[0]) or "Authentication" in str(refused[0])


# -- HTTP routes --------------------------------------------------------------------------

def app_routes(world: World) -> list[tuple[str, str]]:
    """Every "METHOD path" the app serves (HEAD is GET's)."""
    found = []
    for route in create_app(world.settings).routes:
        if isinstance(route, Mount):
            found.append(("GET", route.path + "/{path}"))
        elif isinstance(route, Route):
            found.extend((method, route.path) for method in sorted(route.methods or ())
                         if method != "HEAD")
    return found


def test_every_route_has_an_expectation(world: World) -> None:
    found = {f"{method} {path}" for method, path in app_routes(world)}
    missing = sorted(found - set(access.ROUTES))
    stale = sorted(set(access.ROUTES) - found)
    assert missing == [], f"routes without an access expectation: {missing}; {HOW_TO_ADD}"
    assert stale == [], f"tests/server/access.py names routes the app lacks: {stale}"


def concrete(path: str) -> str:
    """``path`` with each parameter replaced by a value that reaches the handler."""
    parts = []
    for part in path.split("/"):
        while "{" in part:
            start, end = part.index("{"), part.index("}")
            name, _, convertor = part[start + 1:end].partition(":")
            value = "999999" if convertor == "int" else access.PATH_VALUES.get(name, "missing-id")
            part = part[:start] + value + part[end + 1:]
        parts.append(part)
    return "/".join(parts)


@pytest.fixture(scope="module")
def clients(world: World) -> Iterator[dict[str, tuple[TestClient, str]]]:
    """A signed-in browser session per role (and none for anonymous), with its token."""
    app = create_app(world.settings)
    made: dict[str, tuple[TestClient, str]] = {}
    try:
        for caller in CALLERS:
            client = TestClient(app, raise_server_exceptions=False)
            client.__enter__()
            token = "" if caller == "anonymous" else log_in(client, world.keys[caller])
            made[caller] = (client, token)
        yield made
    finally:
        for client, _ in made.values():
            client.__exit__(None, None, None)


ROUTE_CASES = [(route, caller) for route in access.ROUTES for caller in CALLERS]


@pytest.mark.parametrize(("route", "caller"), ROUTE_CASES,
                         ids=[f"{r} as {c}" for r, c in ROUTE_CASES])
def test_route_access(world: World, clients: dict[str, tuple[TestClient, str]],
                      route: str, caller: str) -> None:
    method, path = route.split(" ", 1)
    need = access.ROUTES[route]
    client, token = clients[caller]
    url = concrete(path)
    headers = {"X-CSRF-Token": token} if token else {}
    if path in ("/login", "/logout") and method == "POST":
        # Signing in or out changes the session the other cases share: use a new one.
        client = TestClient(client.app, raise_server_exceptions=False)
        token = "" if caller == "anonymous" else log_in(client, world.keys[caller])
        token = token or csrf_from(client.get("/login").text)
        headers = {"X-CSRF-Token": token}
    if path == "/login" and method == "POST":
        response = client.post(url, data={"csrf_token": token, "api_key": world.keys["viewer"]},
                               follow_redirects=False)
    elif method == "GET":
        response = client.get(url, headers=headers, follow_redirects=False)
    elif path == "/graphql":
        response = client.post(url, json={"query": "{ __typename }"}, headers=headers)
    else:
        response = client.post(url, data={"csrf_token": token}, headers=headers,
                               follow_redirects=False)
    status = response.status_code
    assert status < 500, f"{route} as {caller}: {status} {response.text[:300]}"
    if allowed(caller, need):
        assert status not in (401, 403), (
            f"{route} should allow a {caller} caller ({need}) but answered {status}: "
            f"{response.text[:300]}")
        if status == 303 and path != "/logout":
            assert not response.headers["location"].startswith("/login"), route
    elif caller == "anonymous" or need == "signature":
        login_redirect = status == 303 and response.headers["location"].startswith("/login")
        assert status == 401 or login_redirect, (
            f"{route} should refuse an anonymous caller, got {status}")
    else:
        assert status == 403, (
            f"{route} needs {need}; a {caller} key got {status}: {response.text[:300]}")


# -- rotation, revocation, expiry -----------------------------------------------------------

def _bearer(raw_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw_key}"}


def test_revocation_takes_effect_on_the_next_request(client: TestClient,
                                                     engine: Engine) -> None:
    raw_key = make_key(engine, "viewer")
    assert client.get("/campaigns", headers=_bearer(raw_key)).status_code == 200
    with session_scope(engine) as session:
        key = authenticate_key(session=session, raw_key=raw_key)
        assert key is not None and key.last_used_at is not None
        revoke_api_key(session=session, key_id=key.id or 0)
    refused = client.post("/graphql", json={"query": "{ __typename }"},
                          headers=_bearer(raw_key))
    assert refused.status_code == 401


def test_rotation_without_grace_stops_the_old_secret_at_once(client: TestClient,
                                                             engine: Engine) -> None:
    old = make_key(engine, "viewer")
    token = log_in(client, old)
    assert token and client.get("/campaigns").status_code == 200
    with session_scope(engine) as session:
        key = authenticate_key(session=session, raw_key=old)
        assert key is not None and key.id is not None
        rotated, new = rotate_api_key(session=session, key_id=key.id)
        assert (rotated.id, rotated.name, rotated.role) == (key.id, "viewer key", "viewer")
    assert new != old and new.startswith("ms_")
    assert client.get("/api/openapi.json", headers=_bearer(old)).status_code == 401
    assert client.get("/api/openapi.json", headers=_bearer(new)).status_code == 200
    # The browser session signed in with the old secret ends too.
    assert client.get("/campaigns", follow_redirects=False).status_code == 303


def test_rotation_with_grace_keeps_the_old_secret_until_it_ends(engine: Engine) -> None:
    old = make_key(engine, "analyst")
    with session_scope(engine) as session:
        key = authenticate_key(session=session, raw_key=old)
        assert key is not None and key.id is not None
        _, new = rotate_api_key(session=session, key_id=key.id, grace=timedelta(minutes=5))
        assert authenticate_key(session=session, raw_key=old) is not None
        assert authenticate_key(session=session, raw_key=new) is not None
        key.previous_valid_until = utcnow() - timedelta(seconds=1)
        session.add(key)
        session.flush()
        assert authenticate_key(session=session, raw_key=old) is None
        # Rotating again, then revoking, ends every secret of the key.
        _, newer = rotate_api_key(session=session, key_id=key.id, grace=timedelta(hours=1))
        revoke_api_key(session=session, key_id=key.id)
        assert authenticate_key(session=session, raw_key=new) is None
        assert authenticate_key(session=session, raw_key=newer) is None


@pytest.mark.parametrize(("grace", "message"), [
    (timedelta(days=8), "out of range"), (timedelta(seconds=-1), "out of range")])
def test_rotation_refuses_bad_grace(engine: Engine, grace: timedelta, message: str) -> None:
    make_key(engine, "viewer")
    with session_scope(engine) as session, pytest.raises(ValueError, match=message):
        rotate_api_key(session=session, key_id=1, grace=grace)


def test_rotation_refuses_unknown_and_revoked_keys(engine: Engine) -> None:
    make_key(engine, "viewer")
    with session_scope(engine) as session:
        with pytest.raises(LookupError, match="apikey list"):
            rotate_api_key(session=session, key_id=99)
        revoke_api_key(session=session, key_id=1)
        with pytest.raises(ValueError, match="revoked"):
            rotate_api_key(session=session, key_id=1)


def test_expired_keys_are_refused(client: TestClient, engine: Engine) -> None:
    with session_scope(engine) as session:
        key, raw_key = create_api_key(session=session, name="soon", role="viewer",
                                      expires_at=utcnow() + timedelta(hours=1))
        assert key_status(key, utcnow()) == "active"
        with pytest.raises(ValueError, match="not in the future"):
            create_api_key(session=session, name="past", role="viewer",
                           expires_at=utcnow() - timedelta(hours=1))
    assert client.get("/api/openapi.json", headers=_bearer(raw_key)).status_code == 200
    log_in(client, raw_key)
    with session_scope(engine) as session:
        stored = session.get(ApiKey, key.id)
        assert stored is not None
        stored.expires_at = utcnow() - timedelta(seconds=1)
        assert key_status(stored, utcnow()) == "expired"
    assert client.get("/api/openapi.json", headers=_bearer(raw_key)).status_code == 401
    assert client.get("/campaigns", follow_redirects=False).status_code == 303


def test_key_actions_are_audited_without_secrets(engine: Engine) -> None:
    with session_scope(engine) as session:
        key, raw_key = create_api_key(session=session, name="ci", role="ingest",
                                      actor=Actor("boss", 7))
        _, new = rotate_api_key(session=session, key_id=key.id or 0, grace=timedelta(1))
        revoke_api_key(session=session, key_id=key.id or 0)
        revoke_api_key(session=session, key_id=key.id or 0)  # idempotent, logged once
        events = list_audit(session=session)
    assert [(e.action, e.actor, e.actor_key_id, e.target) for e in events] == [
        ("apikey.revoke", "command line", None, f"key {key.id} (ci)"),
        ("apikey.rotate", "command line", None, f"key {key.id} (ci)"),
        ("apikey.create", "boss", 7, f"key {key.id} (ci)"),
    ]
    assert json.loads(events[1].detail) == {"grace_seconds": 86400}
    text = " ".join(e.detail + e.target for e in events)
    assert raw_key not in text and new not in text and key.key_hash not in text
