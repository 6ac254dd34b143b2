"""The demo's basket structure: popularity within categories, complements in the same
order and follow-up complements across a customer's orders, as the truth records."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from server.demo import generate
from server.demo.commerce import (
    COMPLEMENT_CATEGORY,
    COMPLEMENT_PROBABILITY,
    FOLLOW_UP_PROBABILITY,
    PRODUCTS_PER_CATEGORY,
)
from server.demo.constants import CATEGORIES


@pytest.fixture(scope="module")
def lines() -> pl.DataFrame:
    data = generate(customers=3000, days=60, seed=11)
    assert data.truth["orders"]["baskets"]["complement_probability"] == COMPLEMENT_PROBABILITY
    items = pl.List(pl.Struct({"product_id": pl.String()}))
    return (data.frames["orders"].sort("occurred_at", "order_id")
            .with_columns(pl.col("items").str.json_decode(items))
            .with_columns(position=pl.int_ranges(pl.col("items").list.len()))
            .explode("items", "position")
            .select("order_id", "customer_id", "position",
                    index=pl.col("items").struct.field("product_id").str.slice(1)
                    .cast(pl.Int64) - 1))


def _complement(index: np.ndarray) -> np.ndarray:
    partner = np.array([CATEGORIES.index(COMPLEMENT_CATEGORY[c]) for c in CATEGORIES])
    return (partner[index // PRODUCTS_PER_CATEGORY] * PRODUCTS_PER_CATEGORY
            + index % PRODUCTS_PER_CATEGORY)


def test_later_items_are_often_the_first_items_complement(lines: pl.DataFrame) -> None:
    heads = lines.filter(pl.col("position") == 0).select("order_id", head="index")
    later = lines.filter(pl.col("position") > 0).join(heads, on="order_id")
    share = float(np.mean(later["index"].to_numpy() == _complement(later["head"].to_numpy())))
    # The complement by design, plus the small chance of drawing it anyway.
    assert share == pytest.approx(COMPLEMENT_PROBABILITY, abs=0.05)


def test_first_items_follow_up_the_previous_order(lines: pl.DataFrame) -> None:
    heads = (lines.filter(pl.col("position") == 0)
             .with_columns(previous=pl.col("index").shift(1).over("customer_id"))
             .drop_nulls("previous"))
    share = float(np.mean(heads["index"].to_numpy()
                          == _complement(heads["previous"].to_numpy())))
    assert share == pytest.approx(FOLLOW_UP_PROBABILITY, abs=0.06)


def test_popularity_falls_with_position_in_the_category(lines: pl.DataFrame) -> None:
    position = lines["index"].to_numpy() % PRODUCTS_PER_CATEGORY
    counts = np.bincount(position, minlength=PRODUCTS_PER_CATEGORY)
    assert counts[0] > 2 * counts[-1]
