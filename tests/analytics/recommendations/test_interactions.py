"""Order lines from items JSON, and decayed weights per (customer, product)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.recommendations import ORDERS_SCHEMA, customer_weights, order_items

AT = datetime(2026, 3, 1, tzinfo=UTC)


def _orders(items: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({"order_id": [f"o{i}" for i in range(len(items))],
                         "customer_id": ["u1"] * len(items), "occurred_at": [AT] * len(items),
                         "items": items}, schema=ORDERS_SCHEMA)


def test_lines_come_from_valid_json_lists() -> None:
    lines = order_items(_orders(['[{"product_id":"p1","quantity":2},{"product_id":"p2"}]',
                                 None, "[]"]))
    assert lines.select("product_id", "kind").rows() == [("p1", "purchase"), ("p2", "purchase")]


def test_orders_whose_items_are_not_a_json_list_give_no_lines() -> None:
    lines = order_items(_orders(['[{"product_id":"p1"}]', "p1;p2", '{"product_id":"p3"}',
                                 '[{"sku":"p4"}, "p5", {"product_id": 6}]']))
    assert lines["product_id"].to_list() == ["p1", "6"]


def test_weights_decay_with_a_90_day_half_life() -> None:
    frame = pl.DataFrame({
        "customer_id": ["u1", "u1", "u1", "u2"], "product_id": ["p1", "p1", "p2", "p1"],
        "kind": ["purchase", "product_view", "cart_add", "product_view"],
        "occurred_at": [AT - timedelta(days=90), AT - timedelta(days=1), AT,
                        AT - timedelta(days=180)]},
        schema={"customer_id": pl.String, "product_id": pl.String, "kind": pl.String,
                "occurred_at": pl.Datetime("us", "UTC")})
    weights = customer_weights(frame, as_of=AT)
    assert weights.with_columns(pl.col("weight").round(6)).rows() == [
        ("u1", "p1", round(0.5 + 0.2 * 0.5 ** (1 / 90), 6), True),
        ("u2", "p1", 0.05, False)]


def test_unknown_kinds_and_half_lives_are_refused() -> None:
    frame = pl.DataFrame({"customer_id": ["u1"], "product_id": ["p1"], "kind": ["refund"],
                          "occurred_at": [AT]})
    with pytest.raises(ValueError, match="interaction kind 'refund' is unknown"):
        customer_weights(frame, as_of=AT)
    with pytest.raises(ValueError, match="half_life_days must be positive"):
        customer_weights(frame, as_of=AT, half_life_days=0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["p1", "p2", "p3"]), max_size=4), max_size=6))
def test_every_listed_product_becomes_one_line(baskets) -> None:
    text = ['[' + ",".join(f'{{"product_id":"{p}"}}' for p in basket) + ']'
            for basket in baskets]
    lines = order_items(_orders(text))
    assert lines["product_id"].to_list() == [p for basket in baskets for p in basket]
