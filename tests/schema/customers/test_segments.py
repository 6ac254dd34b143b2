"""Customer profiles, segment writes, previews, changes, the why and the RFM grid
through the schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from server.ingest.customers import refresh_everyone
from tests.schema.conftest import ANALYST, data_of, messages_of, run

AS_OF = datetime(2026, 3, 20, tzinfo=UTC)

PROFILE = """query($id: ID!) { customer(id: $id) { id profile {
  sends openRate90d clickRate90d purchases engagementLevel lifecycleStage optedOut
  preferredCategories computedAt }
  segments { segmentId name kind why { matches reasons { condition held
    values { field value } } } } } }"""
CREATE = """mutation($input: SegmentInput!) { createSegment(input: $input) {
  __typename ... on Segment { id kind definition memberCount computedAt }
  ... on SegmentRefused { field message } } }"""


@pytest.fixture
def profiled(world: Engine) -> Engine:
    refresh_everyone(world, AS_OF)
    return world


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
