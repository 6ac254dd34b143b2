"""recommendations(customerId, limit), Customer.recommendations(limit) and
recommendationEvaluation."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from server.runners.base import MEMO
from tests.schema.conftest import data_of, messages_of, run
from tests.worlds.shop import load_shop

RECOMMEND = """
query R($id: ID!, $limit: Int!) {
  recommendations(customerId: $id, limit: $limit) {
    rank score source reason product { id name category } }
}
"""


@pytest.fixture
def shop(db: Engine) -> Engine:
    MEMO.clear()
    return load_shop(db)


async def test_recommendations_carry_products_and_reasons(shop: Engine) -> None:
    data = await data_of(shop, RECOMMEND, {"id": "u5", "limit": 2})

    assert [(r["rank"], r["product"], r["source"], r["reason"])
            for r in data["recommendations"]] == [
        (1, {"id": "p4", "name": "Ankle socks", "category": "socks"}, "popular",
         "popular overall"),
        (2, {"id": "p1", "name": "Runner", "category": "shoes"}, "popular", "popular overall")]
    assert data["recommendations"][0]["score"] > data["recommendations"][1]["score"]


async def test_the_customer_field_gives_the_same_list_in_the_customer_operation(
        shop: Engine) -> None:
    top = await data_of(shop, RECOMMEND, {"id": "u7", "limit": 3})
    nested = await data_of(shop, """query($id: ID!) { customer(id: $id) { id
        recommendations(limit: 3) { rank score source reason product { id name category } }
        } }""", {"id": "u7"})
    assert nested["customer"]["recommendations"] == top["recommendations"]
    assert [r["product"]["id"] for r in top["recommendations"]][:2] == ["p2", "p5"]
    bad = await run(shop, "{ customer(id: \"u7\") { recommendations(limit: 51) { rank } } }")
    assert messages_of(bad) == ["limit must be between 1 and 50, got 51"]


async def test_a_bad_limit_is_an_error_naming_the_range(shop: Engine) -> None:
    result = await run(shop, RECOMMEND, {"id": "u5", "limit": 0})
    assert messages_of(result) == ["limit must be between 1 and 50, got 0"]
    unknown = await run(shop, RECOMMEND, {"id": "u77", "limit": 3})
    assert messages_of(unknown) == ["no customer has id 'u77'"]


async def test_the_evaluation_compares_with_popularity(shop: Engine) -> None:
    data = await data_of(shop, """{ recommendationEvaluation(horizonDays: 30) {
        split horizonDays customers recommender { method ks hitRate recall }
        popularity { method ks } } }""")
    result = data["recommendationEvaluation"]
    assert result["split"] == "2026-02-20T12:00:00+00:00"
    assert result["recommender"]["ks"] == [5, 10]
    assert result["popularity"] == {"method": "popularity", "ks": [5, 10]}
