"""The campaigns connection: exact JSON, metrics from rollups, paging, filters, order."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

import schema.loaders
from tests.schema.conftest import data_of, messages_of, run

CAMPAIGNS = """
query Campaigns($first: Int!, $after: String, $filter: CampaignFilter,
                $orderBy: CampaignOrder) {
  campaigns(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
  }
}
"""

FULL = """
{
  campaigns(first: 2) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage }
    edges {
      node {
        id name subjectLine senderName campaignType category templateId sendAt
        variants { id subjectLine weight }
        metrics {
          sent delivered bounced uniqueOpens totalOpens uniqueClicks totalClicks
          unsubscribed complained conversions revenue currency
        }
      }
    }
  }
}
"""

ZERO = {"sent": 0, "delivered": 0, "bounced": 0, "uniqueOpens": 0, "totalOpens": 0,
        "uniqueClicks": 0, "totalClicks": 0, "unsubscribed": 0, "complained": 0,
        "conversions": 0}


def ids(data: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in data["campaigns"]["edges"]]


async def test_first_page_with_metrics_and_variants(world: Engine) -> None:
    data = await data_of(world, FULL)
    assert data == {"campaigns": {
        "totalCount": 4,
        "pageInfo": {"hasNextPage": True, "hasPreviousPage": False},
        "edges": [
            {"node": {
                "id": "c3", "name": "March Newsletter", "subjectLine": "News for March",
                "senderName": "Acme News", "campaignType": "newsletter", "category": "news",
                "templateId": None, "sendAt": "2026-03-15T12:00:00+00:00", "variants": [],
                "metrics": {**ZERO, "sent": 2, "delivered": 2, "unsubscribed": 1,
                            "complained": 1, "revenue": "0.0000", "currency": "USD"}}},
            {"node": {
                "id": "c1", "name": "Spring Sale", "subjectLine": "Spring is here",
                "senderName": "Acme", "campaignType": "promotional", "category": "apparel",
                "templateId": "t-1", "sendAt": "2026-03-01T09:00:00+00:00",
                "variants": [
                    {"id": "A", "subjectLine": "Spring is here", "weight": 0.5},
                    {"id": "B", "subjectLine": "Spring sale: 20% off", "weight": 0.5}],
                "metrics": {"sent": 3, "delivered": 2, "bounced": 1, "uniqueOpens": 2,
                            "totalOpens": 3, "uniqueClicks": 1, "totalClicks": 1,
                            "unsubscribed": 0, "complained": 0, "conversions": 1,
                            "revenue": "40.0000", "currency": "USD"}}},
        ],
    }}


async def test_metrics_loader_batches_a_page_into_one_call(
        world: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real = schema.loaders.campaign_metrics

    def spy(engine: Engine, keys: list[str]) -> Any:
        calls.append(list(keys))
        return real(engine, keys)

    monkeypatch.setattr(schema.loaders, "campaign_metrics", spy)
    data = await data_of(world, "{ campaigns(first: 10) { edges { node { id "
                                "metrics { sent } } } } }")
    assert [edge["node"]["metrics"]["sent"] for edge in data["campaigns"]["edges"]] \
        == [2, 3, 1, 0]
    assert calls == [["c3", "c1", "c2", "c4"]]


async def test_after_cursor_continues_where_the_page_ended(world: Engine) -> None:
    first = await data_of(world, CAMPAIGNS, {"first": 3})
    assert ids(first) == ["c3", "c1", "c2"]
    info = first["campaigns"]["pageInfo"]
    assert info["hasNextPage"] is True
    assert info["startCursor"] == first["campaigns"]["edges"][0]["cursor"]
    rest = await data_of(world, CAMPAIGNS, {"first": 3, "after": info["endCursor"]})
    assert ids(rest) == ["c4"]
    assert rest["campaigns"]["pageInfo"]["hasNextPage"] is False
    assert rest["campaigns"]["pageInfo"]["hasPreviousPage"] is True
    assert rest["campaigns"]["totalCount"] == 4
    middle = await data_of(world, CAMPAIGNS,
                           {"first": 1, "after": first["campaigns"]["edges"][0]["cursor"]})
    assert ids(middle) == ["c1"]


@pytest.mark.parametrize(("where", "expected"), [
    ({"search": "SPRING"}, ["c1"]),
    ({"search": "march"}, ["c3"]),
    ({"search": "100%"}, []),
    ({"campaignType": "promotional"}, ["c1", "c4"]),
    ({"category": "news"}, ["c3"]),
    ({"sentFrom": "2026-03-01T00:00:00Z"}, ["c3", "c1"]),
    ({"sentFrom": "2026-02-01T09:00:00Z", "sentTo": "2026-03-01T09:00:00Z"}, ["c2"]),
    ({"campaignType": "promotional", "search": "draft"}, ["c4"]),
])
async def test_filters(world: Engine, where: dict[str, str], expected: list[str]) -> None:
    data = await data_of(world, CAMPAIGNS, {"first": 10, "filter": where})
    assert ids(data) == expected
    assert data["campaigns"]["totalCount"] == len(expected)


@pytest.mark.parametrize(("order", "expected"), [
    ({"field": "NAME", "direction": "ASC"}, ["c4", "c3", "c1", "c2"]),
    ({"field": "SEND_AT", "direction": "ASC"}, ["c2", "c1", "c3", "c4"]),
    ({"field": "ID", "direction": "DESC"}, ["c4", "c3", "c2", "c1"]),
])
async def test_order_by(world: Engine, order: dict[str, str], expected: list[str]) -> None:
    assert ids(await data_of(world, CAMPAIGNS, {"first": 10, "orderBy": order})) == expected


async def test_naive_sent_from_is_refused_with_the_fix(world: Engine) -> None:
    result = await run(world, CAMPAIGNS, {"first": 10,
                                          "filter": {"sentFrom": "2026-03-01T00:00:00"}})
    assert messages_of(result) == [
        "filter.sentFrom: 2026-03-01T00:00:00 has no timezone; add one, e.g. "
        "2026-03-01T00:00:00Z"]


@pytest.mark.parametrize("first", [0, 201, -5])
async def test_first_out_of_range(world: Engine, first: int) -> None:
    result = await run(world, CAMPAIGNS, {"first": first})
    assert result.data is None
    assert messages_of(result) == [
        f"first: {first} is out of range; ask for 1 to 200 rows and follow "
        "pageInfo.endCursor for more"]


async def test_foreign_cursor_is_refused(world: Engine) -> None:
    result = await run(world, CAMPAIGNS, {"first": 2, "after": "bm9wZQ=="})
    assert messages_of(result) == [
        "after: 'bm9wZQ==' is not a cursor this API issued; pass an edge's cursor or "
        "pageInfo.endCursor unchanged"]


async def test_single_campaign_and_missing(world: Engine) -> None:
    data = await data_of(world, '{ a: campaign(id: "c2") { name metrics { conversions '
                                'revenue } } b: campaign(id: "nope") { name } }')
    assert data == {"a": {"name": "Welcome Series",
                          "metrics": {"conversions": 1, "revenue": "19.9900"}},
                    "b": None}
