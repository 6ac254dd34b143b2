"""Customers and segments queries."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event

import schema.loaders
from server.db import models
from server.db.engine import session_scope
from server.runners.customers import NO_CHURN_SCORES, refresh_all
from tests.schema.conftest import data_of, messages_of, run

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


async def test_preview_counts_live_and_locates_errors(profiled: Engine):
    query = """query($d: String!) { previewSegment(definition: $d) {
      definition count customers sample error column } }"""
    data = await data_of(profiled, query, {"d": "sends >= 2"})
    assert data["previewSegment"] == {"definition": "sends >= 2", "count": 2,
                                      "customers": 3, "sample": ["u1", "u2"], "error": None,
                                      "column": None}
    data = await data_of(profiled, query, {"d": "snds >= 2"})
    assert data["previewSegment"] == {
        "definition": "snds >= 2", "count": 0, "customers": 3, "sample": [],
        "error": "unknown field 'snds' at column 1 — did you mean sends?", "column": 1}


async def test_the_rfm_grid_has_25_named_cells(profiled: Engine):
    data = await data_of(profiled, "{ rfmGrid { customers cells { recencyScore fmScore "
                                   "customers name } } }")
    grid = data["rfmGrid"]
    assert grid["customers"] == 0  # the literal world has no orders
    assert len(grid["cells"]) == 25
    assert grid["cells"][0] == {"recencyScore": 5, "fmScore": 1, "customers": 0,
                                "name": "New"}


async def test_customer_clusters(profiled: Engine):
    query = """query($k: Int) { customerClusters(k: $k) { k chosenBy silhouette
      clusters { name size centre { feature } } } }"""
    data = (await data_of(profiled, query, {"k": 2}))["customerClusters"]
    assert (data["k"], data["chosenBy"]) == (2, "given")
    assert sum(c["size"] for c in data["clusters"]) == 3
    assert [v["feature"] for v in data["clusters"][0]["centre"]] == [
        "engagement_score", "open_rate_90d", "click_rate_90d", "purchases",
        "lifetime_revenue", "days_since_last_purchase", "sessions"]
    result = await run(profiled, query, {"k": 99})
    assert messages_of(result) == ["k: 99 is out of range; ask for 1 to 12 clusters or "
                                   "leave it out to choose by silhouette"]


def _add_segments(engine: Engine, count: int, first: int = 0) -> None:
    with session_scope(engine) as session:
        for index in range(first, first + count):
            session.add(models.Segment(
                segment_id=f"s-extra-{index:02d}", name=f"Extra {index:02d}",
                kind="churn_risk" if index % 2 else "rule", definition="sends > 0"))


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    def count(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return seen


async def test_segment_status_is_read_once_per_request_not_per_segment(
        world: Engine) -> None:
    query = "{ segments { id kind pending note memberCount } }"
    _add_segments(world, 2)
    seen = _statements(world)
    few = await data_of(world, query)
    with_few = len(seen)
    _add_segments(world, 30, first=2)
    seen.clear()
    many = await data_of(world, query)
    assert len(many["segments"]) == len(few["segments"]) + 30 == 34
    # The list, the member counts, the refresh jobs and the churn run: the same few
    # statements for 34 segments as for 4.
    assert len(seen) == with_few <= 6
    by_kind = {row["kind"]: (row["pending"], row["note"]) for row in many["segments"]}
    assert by_kind == {"static": (False, None), "rule": (False, None),
                       "churn_risk": (False, NO_CHURN_SCORES)}


async def test_segment_status_says_pending_while_a_refresh_is_queued(
        world: Engine) -> None:
    _add_segments(world, 2)
    with session_scope(world) as session:
        session.add(models.JobRun(actor="refresh_segments", state="queued"))
    data = await data_of(world, '{ segments { kind pending note } }')
    assert {(row["kind"], row["pending"], row["note"]) for row in data["segments"]} == {
        ("static", True, None), ("rule", True, None), ("churn_risk", True, NO_CHURN_SCORES)}


async def test_a_page_of_customers_reads_their_profiles_in_one_batch(world: Engine) -> None:
    refresh_all(world)
    query = "{ customers(first: %d) { edges { node { id profile { sends pending } } } } }"
    seen = _statements(world)
    one = await data_of(world, query % 1)
    with_one = len(seen)
    seen.clear()
    every = await data_of(world, query % 3)
    nodes = [edge["node"] for edge in every["customers"]["edges"]]
    assert [node["id"] for node in nodes] == ["u1", "u2", "u3"]
    assert one["customers"]["edges"][0] == every["customers"]["edges"][0]
    assert all(node["profile"] is not None and node["profile"]["pending"] is False
               for node in nodes)
    # The page, its count, the profiles and the refresh jobs: as many statements for
    # three customers as for one.
    assert len(seen) == with_one
    assert sum(statement.count("customer_profile") > 0 for statement in seen) == 1
