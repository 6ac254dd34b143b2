"""What customers did with products: purchases (order line items), cart adds and product
views, as time-decayed weights per (customer, product).

A purchase weighs 1, a cart add 0.5 and a view 0.2 (``KIND_WEIGHTS``); every interaction
decays with a ``HALF_LIFE_DAYS`` half-life before the moment the model is fitted, so last
month's purchases count more than last year's.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from analytics.metrics.order_items import decode_items

UTC = pl.Datetime("us", "UTC")
ORDERS_SCHEMA: dict[str, pl.DataType] = {"order_id": pl.String(), "customer_id": pl.String(),
                                         "occurred_at": UTC, "items": pl.String()}
INTERACTIONS_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "product_id": pl.String(), "kind": pl.String(),
    "occurred_at": UTC}
PRODUCTS_SCHEMA: dict[str, pl.DataType] = {"product_id": pl.String(), "name": pl.String(),
                                           "category": pl.String()}
KIND_WEIGHTS = {"purchase": 1.0, "cart_add": 0.5, "product_view": 0.2}
HALF_LIFE_DAYS = 90.0


def order_items(orders: pl.DataFrame) -> pl.DataFrame:
    """One ``purchase`` interaction per order line (``INTERACTIONS_SCHEMA``) from orders'
    ``items`` JSON (a list of objects with ``product_id``); orders without items, or
    whose items are not such a list, give no lines."""
    frame = orders.filter(pl.col("items").is_not_null())
    parsed = decode_items(frame)
    return (parsed.explode("items")
            .filter(pl.col("items").is_not_null())
            .select("customer_id", product_id=pl.col("items").struct.field("product_id"),
                    kind=pl.lit("purchase"), occurred_at="occurred_at")
            .filter(pl.col("product_id").is_not_null())
            .cast(INTERACTIONS_SCHEMA))  # type: ignore[arg-type]


def customer_weights(interactions: pl.DataFrame, *, as_of: datetime,
                     half_life_days: float = HALF_LIFE_DAYS) -> pl.DataFrame:
    """``customer_id``, ``product_id``, ``weight`` (decayed sum over the interactions
    before ``as_of``), ``purchased`` (bought before ``as_of``)."""
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be positive, got {half_life_days}")
    unknown = set(interactions["kind"].unique().to_list()) - set(KIND_WEIGHTS)
    if unknown:
        raise ValueError(f"interaction kind {sorted(unknown)[0]!r} is unknown; use "
                         f"{', '.join(KIND_WEIGHTS)}")
    age = (pl.lit(as_of, UTC) - pl.col("occurred_at")).dt.total_seconds() / 86_400
    base = pl.col("kind").replace_strict(KIND_WEIGHTS, return_dtype=pl.Float64)
    return (interactions.filter(pl.col("occurred_at") < as_of)
            .with_columns(weight=base * (0.5 ** (age / half_life_days)))
            .group_by("customer_id", "product_id")
            .agg(pl.col("weight").sum(), purchased=(pl.col("kind") == "purchase").any())
            .sort("customer_id", "product_id"))
