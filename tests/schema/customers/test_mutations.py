"""Segment writes through the schema: creating, changing and deleting rule segments,
the refusals, and the why of a new segment on a customer."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.schema.conftest import ANALYST, data_of, messages_of, run
from tests.schema.customers.support import CREATE, PROFILE


async def test_a_customer_profile_and_the_why_of_their_segment(profiled: Engine):
    created = await data_of(profiled, CREATE, {"input": {
        "id": "openers", "name": "Openers", "definition": "open_rate_90d >= 0.5 and "
        "country in ['ES','US']"}}, user=ANALYST)
    assert created["createSegment"] == {
        "__typename": "Segment", "id": "openers", "kind": "rule",
        "definition": '(open_rate_90d >= 0.5) and (country in ["ES", "US"])',
        "memberCount": 2, "computedAt": created["createSegment"]["computedAt"]}
    data = await data_of(profiled, PROFILE, {"id": "u1"})
    assert data["customer"]["profile"] == {
        "sends": 3, "openRate90d": 2 / 3, "clickRate90d": 1 / 3, "purchases": 0,
        "engagementLevel": "none", "lifecycleStage": "churned", "optedOut": True,
        "preferredCategories": [], "computedAt": "2026-03-20T00:00:00+00:00"}
    segments = data["customer"]["segments"]
    cluster = [s for s in segments if s["kind"] == "cluster"]
    assert len(cluster) == 1 and cluster[0]["why"]["reasons"][0]["condition"].startswith(
        "closest to the centre of the cluster")
    assert [s for s in segments if s["kind"] == "rule"] == [{
        "segmentId": "openers", "name": "Openers", "kind": "rule", "why": {
            "matches": True, "reasons": [
                {"condition": "open_rate_90d >= 0.5", "held": True,
                 "values": [{"field": "open_rate_90d", "value": "0.6667"}]},
                {"condition": 'country in ["ES", "US"]', "held": True,
                 "values": [{"field": "country", "value": "ES"}]}]}}]


async def test_segment_writes_changes_and_refusals(profiled: Engine):
    await data_of(profiled, CREATE, {"input": {"id": "multi", "name": "Multi",
                                               "definition": "sends >= 2"}}, user=ANALYST)
    refused = await data_of(profiled, CREATE, {"input": {
        "id": "bad", "name": "Bad", "definition": "sends >>= 2"}}, user=ANALYST)
    assert refused["createSegment"] == {
        "__typename": "SegmentRefused", "field": "definition",
        "message": "expected a number to compare sends with, found '>=' at column 8"}
    update = """mutation { updateSegment(id: "multi", patch: {definition: "sends >= 3"}) {
      ... on Segment { memberCount definition } } }"""
    assert (await data_of(profiled, update, user=ANALYST))["updateSegment"] == {
        "memberCount": 1, "definition": "sends >= 3"}
    changes = """{ segmentChanges(segmentId: "multi", since: "2000-01-01T00:00:00Z") {
      customerId leftAt } }"""
    rows = (await data_of(profiled, changes))["segmentChanges"]
    assert sorted((row["customerId"], row["leftAt"] is None) for row in rows) == [
        ("u1", True), ("u2", False)]
    detail = """{ segment(id: "multi") { kind memberCount members { totalCount
      edges { node { customerId } } } performance { members openRate90d } } }"""
    assert (await data_of(profiled, detail))["segment"] == {
        "kind": "rule", "memberCount": 1,
        "members": {"totalCount": 1, "edges": [{"node": {"customerId": "u1"}}]},
        "performance": {"members": 1, "openRate90d": 2 / 3}}
    delete = 'mutation { deleteSegment(id: "multi") { __typename } }'
    assert (await data_of(profiled, delete, user=ANALYST))["deleteSegment"] == {
        "__typename": "SegmentDeleted"}
    assert (await data_of(profiled, '{ segment(id: "multi") { id } }'))["segment"] is None


async def test_segment_writes_need_the_analyst_role(profiled: Engine):
    result = await run(profiled, CREATE, {"input": {"id": "x", "name": "X",
                                                    "definition": "sends >= 1"}})
    assert messages_of(result) == [
        "'createSegment' needs the analyst role (or admin); the key 'viewer key' has the "
        "viewer role. Ask an admin for a key with the analyst role."]
