"""Bad input, end to end: every case in tests/server/bad_inputs.json is refused with a 4xx
that names the problem, no table changes, and the server stays healthy; injection strings
in every text field of an import are stored as text and rendered escaped.
Also the fault test: PostgreSQL stops during ingestion. The client gets a clear 503 and
nothing is stored; once the database is back the same server (no restart) takes the import
(a throw-away PostgreSQL of its own, tests/server/own_postgres.py, never the shared one)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from schema.context import NotAllowed, build_context
from schema.root import schema
from server.app import create_app
from server.auth import Principal
from server.db.engine import engine_for
from server.db.migrate import upgrade
from server.settings import configure
from tests.server.own_postgres import OwnPostgres
from tests.server.table_state import table_state
from tests.server.web.conftest import make_key

CORPUS = json.loads((Path(__file__).parent / "bad_inputs.json").read_text())
TEXT_FIELDS = ("name", "subject_line", "sender_name", "campaign_type", "category",
               "template_id")


def body_of(case: dict[str, Any]) -> bytes:
    if "repeat" in case:
        text = (case.get("prefix", "") + case["repeat"] * case["count"]
                + "id " + case["closing"] * case["count"] if "closing" in case else
                case.get("prefix", "") + case["repeat"] * case["count"])
        text += case.get("suffix", "")
    else:
        text = case.get("text", "")
    data = text.encode(case.get("encoding", "utf-8"))
    return (b"\xef\xbb\xbf" + data) if case.get("bom") else data


@pytest.fixture(scope="module")
def app_client(sqlite_template: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine,
                                                                         str]]:
    folder = tmp_path_factory.mktemp("bad-input")
    shutil.copy(sqlite_template, folder / "mailscope.db")
    settings = configure(database_url=f"sqlite:///{folder / 'mailscope.db'}",
                         secret_key="bad-input-" + "x" * 32, broker_url=None,
                         rate_limit_per_second=0, rate_limit_anonymous_per_second=0)
    engine = engine_for(settings.database_url)
    admin = make_key(engine, "admin")
    with TestClient(create_app(settings)) as client:
        seeded = client.post("/api/import/campaigns", headers={
            "Authorization": f"Bearer {admin}", "Content-Type": "text/csv"},
            content=b"campaign_id,name,send_at\nc1,Spring,2026-03-01T09:00:00Z\n")
        assert seeded.status_code == 200, seeded.text
        yield client, engine, admin
    engine.dispose()
    configure()


@pytest.mark.parametrize("case", CORPUS["cases"], ids=[c["name"] for c in CORPUS["cases"]])
def test_bad_input_is_refused_by_name(app_client: tuple[TestClient, Engine, str],
                                      case: dict[str, Any]) -> None:
    client, engine, admin = app_client
    before = table_state(engine)
    headers = {"Authorization": f"Bearer {admin}"}
    if "content_type" in case:
        headers["Content-Type"] = case["content_type"]
    if case.get("method", "POST") == "GET":
        response = client.get(case["path"], headers=headers)
    else:
        response = client.post(case["path"], content=body_of(case), headers=headers)
    assert response.status_code == case["status"], response.text[:500]
    assert case["contains"] in response.text, response.text[:500]
    assert table_state(engine) == before
    assert client.get("/healthz").json()["status"] == "ok"


def test_injection_strings_are_stored_as_text_and_rendered_escaped(
        app_client: tuple[TestClient, Engine, str]) -> None:
    client, engine, admin = app_client
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["campaign_id", *TEXT_FIELDS])
    injections: list[str] = CORPUS["injections"]
    for number, payload in enumerate(injections):
        writer.writerow([f"inj-{number}", *[payload] * len(TEXT_FIELDS)])
    bearer = {"Authorization": f"Bearer {admin}"}
    stored = client.post("/api/import/campaigns", content=buffer.getvalue().encode(),
                         headers={**bearer, "Content-Type": "text/csv"})
    assert stored.status_code == 200 and stored.json()["inserted"] == len(injections)
    query = """{ campaigns(first: 50) { totalCount edges { node { id name subjectLine
                 senderName campaignType category } } } }"""
    data = client.post("/graphql", json={"query": query}, headers=bearer).json()["data"]
    assert data["campaigns"]["totalCount"] == len(injections) + 1
    nodes = {node["id"]: node for node in
             (edge["node"] for edge in data["campaigns"]["edges"])}
    for number, payload in enumerate(injections):
        node = nodes[f"inj-{number}"]
        assert {node[field] for field in ("name", "subjectLine", "senderName",
                                          "campaignType", "category")} == {payload}
    page = client.get("/campaigns", headers=bearer).text
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert "<img src=x" not in page and "{{ 7*7 }}" in page
    detail = client.get("/campaigns/inj-6", headers=bearer)
    assert detail.status_code == 200 and "<script>alert(" not in detail.text
    # The SQL went nowhere: the keys table is whole.
    assert client.get("/api/openapi.json", headers=bearer).status_code == 200


# -- fuzzing: GraphQL arguments drawn from the schema's own types ---------------------------

SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": st.one_of(st.text(max_size=30), st.sampled_from(CORPUS["injections"])),
    "ID": st.one_of(st.text(max_size=12), st.integers(-5, 10**6).map(str)),
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False, allow_infinity=False, width=32),
    "Boolean": st.booleans(),
    "Date": st.one_of(st.dates().map(date.isoformat), st.text(max_size=12)),
    "DateTime": st.one_of(st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
                          st.text(max_size=12)),
    "Decimal": st.one_of(st.decimals(allow_nan=False, allow_infinity=False,
                                     places=2).map(str), st.text(max_size=8)),
    "JSON": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
}
# Writes fuzzed too (the import paths); the others start jobs or change settings.
FUZZED_MUTATIONS = ("createCampaign", "updateCampaign", "createCustomer", "updateCustomer",
                    "recordEvents", "recordOrders", "createSegment", "createTrigger",
                    "createExperiment")


def values_of(kind: GraphQLInputType) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLNonNull):
        return present_values_of(kind.of_type)
    return st.one_of(st.none(), present_values_of(kind))


def present_values_of(kind: GraphQLInputType) -> st.SearchStrategy[Any]:
    inner: st.SearchStrategy[Any]
    if isinstance(kind, GraphQLList):
        inner = st.lists(values_of(kind.of_type), max_size=3)
    elif isinstance(kind, GraphQLEnumType):
        inner = st.sampled_from(list(kind.values))
    elif isinstance(kind, GraphQLInputObjectType):
        required = {name: values_of(field.type) for name, field in kind.fields.items()
                    if isinstance(field.type, GraphQLNonNull)}
        optional = {name: values_of(field.type) for name, field in kind.fields.items()
                    if name not in required}
        inner = st.fixed_dictionaries(required, optional=optional)
    else:
        assert isinstance(kind, GraphQLScalarType)
        inner = SCALARS[kind.name]
    return inner


def fuzz_targets() -> list[tuple[str, str, GraphQLField]]:
    graphql = schema._schema
    assert graphql.query_type is not None and graphql.mutation_type is not None
    return [("query", name, field) for name, field in graphql.query_type.fields.items()] + [
        ("mutation", name, graphql.mutation_type.fields[name]) for name in FUZZED_MUTATIONS]


@st.composite
def operations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    operation, name, field = draw(st.sampled_from(fuzz_targets()))
    arguments = {arg: spec for arg, spec in field.args.items()
                 if isinstance(spec.type, GraphQLNonNull) or draw(st.booleans())}
    declared = ", ".join(f"${arg}: {spec.type}" for arg, spec in arguments.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in arguments)
    named = get_named_type(field.type)
    selection = "" if isinstance(named, (GraphQLScalarType, GraphQLEnumType)) else (
        " { __typename }")
    document = (f"{operation} Fuzz{'(' + declared + ')' if declared else ''} "
                f"{{ {name}{'(' + passed + ')' if passed else ''}{selection} }}")
    return document, {arg: draw(values_of(spec.type)) for arg, spec in arguments.items()}


# Exceptions a resolver raises on purpose, with a message naming the argument; anything
# else reaching the caller is a bug the fuzzing found.
EXPECTED_ERRORS = (NotAllowed, ValueError, LookupError, GraphQLError)
ADMIN = Principal(key_id=None, name="fuzz", role="admin")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(drawn=operations())
def test_fuzzed_graphql_arguments_fail_only_by_name(
        app_client: tuple[TestClient, Engine, str], drawn: tuple[str, dict[str, Any]]) -> None:
    _, engine, _ = app_client
    document, variables = drawn
    context = build_context(user=ADMIN, engine=engine)
    result = asyncio.run(schema.execute(document, variable_values=variables,
                                        context_value=context))
    for error in result.errors or []:
        original = error.original_error
        unexpected = original is not None and (
            isinstance(original, KeyError) or not isinstance(original, EXPECTED_ERRORS))
        assert not unexpected, (document, variables, repr(original))


# -- fuzzing: the REST data API ------------------------------------------------------------

KINDS = st.one_of(st.sampled_from(["campaigns", "customers", "events", "orders", "sends"]),
                  st.text(max_size=12))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=KINDS, fmt=st.one_of(st.sampled_from(["csv", "ndjson", "parquet", "json"]),
                                 st.text(max_size=8)),
       body=st.one_of(st.binary(max_size=300),
                      st.text(max_size=300).map(lambda text: ("id,name\n" + text).encode())),
       skip=st.booleans())
def test_fuzzed_imports_never_fail_inside(app_client: tuple[TestClient, Engine, str],
                                          kind: str, fmt: str, body: bytes,
                                          skip: bool) -> None:
    client, _, admin = app_client
    response = client.post(f"/api/import/{quote(kind, safe='')}",
                           params={"format": fmt, "skip_invalid": str(skip).lower()},
                           content=body, headers={"Authorization": f"Bearer {admin}"})
    assert response.status_code < 500, (kind, fmt, body, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dataset=KINDS, fmt=st.one_of(st.sampled_from(["csv", "parquet", "arrow"]),
                                    st.text(max_size=8)),
       since=st.one_of(st.none(), st.text(max_size=10), st.integers(-5, 10**20).map(str)))
def test_fuzzed_exports_never_fail_inside(app_client: tuple[TestClient, Engine, str],
                                          dataset: str, fmt: str, since: str | None) -> None:
    client, _, admin = app_client
    params = {} if since is None else {"since": since}
    response = client.get(f"/api/export/{quote(dataset, safe='')}.{quote(fmt, safe='')}",
                          params=params, headers={"Authorization": f"Bearer {admin}"})
    assert response.status_code < 500, (dataset, fmt, since, response.text[:300])


def _customers(first: int, count: int) -> bytes:
    rows = "".join(f"u{i},u{i}@example.com\n" for i in range(first, first + count))
    return ("customer_id,email\n" + rows).encode()


def test_postgres_down_during_ingest_is_a_503_then_recovers(own_postgres: OwnPostgres,
                                                            tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade(own_postgres.url)
    engine = engine_for(own_postgres.url)
    key = make_key(engine, "admin")
    # A broker URL keeps embedded workers (which would poll the stopped database) off.
    settings = configure(database_url=own_postgres.url, broker_url="redis://127.0.0.1:1/0",
                         secret_key="test-secret-key-" + "x" * 32)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            first = client.post("/api/import/customers", content=_customers(0, 50),
                                headers=headers)
            assert first.status_code == 200, first.text
            own_postgres.stop()
            down = client.post("/api/import/customers", content=_customers(50, 50),
                               headers=headers)
            assert down.status_code == 503
            assert down.headers["retry-after"] == "5"
            assert down.json() == {"error": "The database is unavailable right now; nothing "
                                            "was changed. Retry in a few seconds."}
            assert client.get("/healthz").status_code == 503
            own_postgres.start()
            again = client.post("/api/import/customers", content=_customers(50, 50),
                                headers=headers)
            assert again.status_code == 200, again.text
            assert again.json()["inserted"] == 50
            with engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM customer")
                                          ).scalar_one() == 100
    finally:
        configure()
        engine.dispose()


async def test_other_unexpected_errors_stay_a_plain_500() -> None:
    from starlette.requests import Request

    from server.app import unexpected_error

    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": [],
                       "query_string": b"", "server": ("test", 80), "scheme": "http",
                       "root_path": ""})
    response = await unexpected_error(request, RuntimeError("boom"))
    assert (response.status_code, response.body) == (500, b"Internal Server Error")
