"""Customers, segments and jobs queries, and who may read."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

import schema.loaders
from tests.schema.conftest import INGEST, data_of, messages_of, run

CUSTOMERS = """
query Customers($filter: CustomerFilter, $after: String) {
  customers(first: 2, filter: $filter, after: $after) {
    totalCount
    pageInfo { hasNextPage }
    edges { node { id email firstName lastName signupAt country timezone emailDomain } }
  }
}
"""

ANA = {"id": "u1", "email": "ana@example.com", "firstName": "Ana", "lastName": "Lopez",
       "signupAt": "2026-01-01T09:00:00+00:00", "country": "ES", "timezone": "Europe/Madrid",
       "emailDomain": "example.com"}


async def test_customers_first_page(world: Engine) -> None:
    data = await data_of(world, CUSTOMERS)
    assert data["customers"]["totalCount"] == 3
    assert data["customers"]["pageInfo"] == {"hasNextPage": True}
    assert data["customers"]["edges"][0] == {"node": ANA}
    assert [edge["node"]["id"] for edge in data["customers"]["edges"]] == ["u1", "u2"]


@pytest.mark.parametrize(("where", "expected"), [
    ({"search": "LOPEZ"}, ["u1"]),
    ({"search": "bob@"}, ["u2"]),
    ({"country": "us"}, ["u2", "u3"]),
    ({"emailDomain": "Example.com"}, ["u1", "u3"]),
    ({"emailDomain": "example.com", "country": "US"}, ["u3"]),
])
async def test_customer_filters(world: Engine, where: dict[str, str],
                                expected: list[str]) -> None:
    data = await data_of(world, CUSTOMERS, {"filter": where})
    assert [edge["node"]["id"] for edge in data["customers"]["edges"]] == expected


async def test_customer_by_id(world: Engine) -> None:
    data = await data_of(world, '{ customer(id: "u1") { id email firstName lastName '
                                'signupAt country timezone emailDomain } }')
    assert data == {"customer": ANA}


async def test_segments_with_member_counts_in_one_batch(
        world: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real = schema.loaders.segment_member_counts

    def spy(engine: Engine, keys: list[str]) -> list[int]:
        calls.append(list(keys))
        return real(engine, keys)

    monkeypatch.setattr(schema.loaders, "segment_member_counts", spy)
    data = await data_of(world, "{ segments { id name description memberCount } }")
    assert data == {"segments": [
        {"id": "s-new", "name": "Newcomers", "description": None, "memberCount": 0},
        {"id": "s-vip", "name": "VIP", "description": "Spent over 100", "memberCount": 2},
    ]}
    assert calls == [["s-new", "s-vip"]]


async def test_jobs_newest_first_and_by_state(world: Engine) -> None:
    data = await data_of(world, "{ jobs(first: 5) { totalCount edges { node { id actor state "
                                "progress detail error createdAt startedAt finishedAt } } } }")
    assert data == {"jobs": {"totalCount": 2, "edges": [
        {"node": {"id": "2", "actor": "rebuild_rollups", "state": "QUEUED", "progress": 0.0,
                  "detail": None, "error": None, "createdAt": "2026-03-21T09:00:00+00:00",
                  "startedAt": None, "finishedAt": None}},
        {"node": {"id": "1", "actor": "rebuild_rollups", "state": "DONE", "progress": 1.0,
                  "detail": "4 campaigns", "error": None,
                  "createdAt": "2026-03-20T09:00:00+00:00",
                  "startedAt": "2026-03-20T09:00:00+00:00",
                  "finishedAt": "2026-03-20T10:00:00+00:00"}},
    ]}}
    done = await data_of(world, "{ jobs(first: 5, state: DONE) { edges { node { id } } } }")
    assert done == {"jobs": {"edges": [{"node": {"id": "1"}}]}}
    one = await data_of(world, '{ a: job(id: "1") { state } b: job(id: "x") { state } }')
    assert one == {"a": {"state": "DONE"}, "b": None}


async def test_ingest_key_cannot_read(world: Engine) -> None:
    result = await run(world, "{ segments { id } }", user=INGEST)
    assert result.data is None
    assert messages_of(result) == [
        "'segments' needs the viewer role (or admin); the key 'ingest key' has the ingest "
        "role. Ask an admin for a key with the viewer role."]


async def test_anonymous_execution_is_refused(world: Engine) -> None:
    from starlette.authentication import UnauthenticatedUser

    from schema.operations import execute

    result = await execute("{ segments { id } }", user=UnauthenticatedUser(), engine=world)
    assert messages_of(result) == [
        "Authentication required: send 'Authorization: Bearer <API key>'."]
