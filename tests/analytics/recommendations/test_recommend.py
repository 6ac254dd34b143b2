"""The recommender on the literal shop: co-occurrence, category affinity, trending and
popularity, each with its reason; purchased items never come back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.recommendations import RECOMMENDATIONS_SCHEMA, fit, popular, recommend
from tests.worlds.shop import PRODUCTS, SPLIT, interactions


@pytest.fixture(scope="module")
def model():
    return fit(interactions(), PRODUCTS, as_of=SPLIT)


def test_similar_items_are_the_cosine_of_decayed_weights(model) -> None:
    assert model.similar.with_columns(pl.col("similarity").round(6)).to_dicts() == [
        {"product_id": "p1", "neighbour": "p4", "similarity": 0.623267},
        {"product_id": "p1", "neighbour": "p5", "similarity": 0.498883},
        {"product_id": "p2", "neighbour": "p4", "similarity": 0.580553},
        {"product_id": "p4", "neighbour": "p1", "similarity": 0.623267},
        {"product_id": "p4", "neighbour": "p2", "similarity": 0.580553},
        {"product_id": "p5", "neighbour": "p1", "similarity": 0.498883},
        {"product_id": "p6", "neighbour": "p7", "similarity": 0.702459},
        {"product_id": "p7", "neighbour": "p6", "similarity": 0.702459}]


def test_each_customer_gets_reasons_from_their_history(model) -> None:
    result = recommend(model, ["u7", "u5", "u9", "fresh"], limit=3)

    assert result.schema == pl.Schema(RECOMMENDATIONS_SCHEMA)
    assert_frame_equal(result.with_columns(pl.col("score").round(6)), pl.DataFrame({
        "customer_id": ["fresh"] * 3 + ["u5"] * 3 + ["u7"] * 3 + ["u9"] * 3,
        "rank": [1, 2, 3] * 4,
        "product_id": ["p1", "p4", "p6", "p7", "p1", "p4", "p4", "p5", "p2",
                       "p6", "p7", "p1"],
        "score": [0.5, 0.372322, 0.254332, 1.179581, 0.5, 0.372322, 1.065118, 0.589507,
                  0.47039, 1.354332, 1.179581, 0.5],
        "source": ["popular"] * 3 + ["affinity", "popular", "popular", "cooccurrence",
                                     "cooccurrence", "affinity", "affinity", "affinity",
                                     "popular"],
        "reason": ["popular overall"] * 3
        + ["popular in books", "popular overall", "popular overall", "bought with Runner",
           "bought with Runner", "popular in shoes", "popular in books", "popular in books",
           "popular overall"]}, schema=RECOMMENDATIONS_SCHEMA))


def test_viewed_items_explain_as_viewed_with(model) -> None:
    result = recommend(model, ["u9"], limit=8)
    # u9 only viewed the novel: what people bought with it comes "viewed with".
    assert result.filter(pl.col("product_id") == "p7")["source"].to_list() == ["affinity"]
    contributions = model.similar.filter(pl.col("product_id") == "p6")
    assert contributions["neighbour"].to_list() == ["p7"]


def test_popularity_baseline_skips_what_the_customer_bought(model) -> None:
    result = popular(model, ["u1", "fresh"], limit=2)
    assert result.select("customer_id", "product_id").rows() == [
        ("fresh", "p1"), ("fresh", "p4"), ("u1", "p6"), ("u1", "p7")]


def test_trending_items_explain_as_trending() -> None:
    as_of = datetime(2026, 3, 30, tzinfo=UTC)
    rows = [("x", "p8", "purchase", as_of - timedelta(days=d)) for d in (1, 2, 3)]
    # The novel sold far more, long ago: the cookbook is new, rising, not yet popular.
    rows += [(f"y{i}", "p6", "purchase", as_of - timedelta(days=80)) for i in range(30)]
    rows += [("reader", "p7", "purchase", as_of - timedelta(days=40))]
    frame = pl.DataFrame(rows, schema=["customer_id", "product_id", "kind", "occurred_at"],
                         orient="row").with_columns(
        pl.col("occurred_at").dt.replace_time_zone("UTC"))
    trained = fit(frame, PRODUCTS, as_of=as_of)

    assert trained.trending["product_id"].to_list() == ["p8"]
    top = recommend(trained, ["reader"], limit=2)
    assert top.select("product_id", "reason").rows() == [
        ("p6", "popular in books"), ("p8", "trending in books")]


def test_bad_arguments_are_refused(model) -> None:
    with pytest.raises(ValueError, match="limit must be at least 1"):
        recommend(model, ["u1"], limit=0)
    with pytest.raises(ValueError, match="has no timezone"):
        fit(interactions(), PRODUCTS, as_of=datetime(2026, 3, 15))  # noqa: DTZ001


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                          st.sampled_from([f"p{i}" for i in range(1, 9)]),
                          st.sampled_from(["purchase", "cart_add", "product_view"]),
                          st.integers(0, 60)), max_size=30),
       st.integers(1, 8))
def test_lists_are_ranked_short_and_free_of_purchases(events, limit) -> None:
    frame = pl.DataFrame({
        "customer_id": [e[0] for e in events], "product_id": [e[1] for e in events],
        "kind": [e[2] for e in events],
        "occurred_at": [SPLIT - timedelta(days=e[3], hours=1) for e in events]},
        schema={"customer_id": pl.String, "product_id": pl.String, "kind": pl.String,
                "occurred_at": pl.Datetime("us", "UTC")})
    trained = fit(frame, PRODUCTS, as_of=SPLIT)
    result = recommend(trained, ["a", "b", "c", "new"], limit=limit)

    bought = {(e[0], e[1]) for e in events if e[2] == "purchase"}
    for who, group in result.group_by("customer_id"):
        assert group["rank"].sort().to_list() == list(range(1, group.height + 1))
        assert group.height <= limit
        assert not {(who[0], p) for p in group["product_id"]} & bought
        assert group.sort("rank")["score"].is_sorted(descending=True)
    assert result.filter(pl.col("customer_id") == "new").height == limit
