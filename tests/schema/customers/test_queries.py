"""Customers and segments queries."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

import schema.loaders
from tests.schema.conftest import data_of

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
