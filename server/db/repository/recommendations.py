"""Recommendations: the order lines, product views and cart adds the recommender learns
from, and the catalog."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine

from server.db.repository.frames import UTC_DATETIME, read_table

ORDERS_SCHEMA: dict[str, pl.DataType] = {
    "order_id": pl.String(), "customer_id": pl.String(), "occurred_at": UTC_DATETIME,
    "items": pl.String()}
BEHAVIOR_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "product_id": pl.String(), "kind": pl.String(),
    "occurred_at": UTC_DATETIME}
PRODUCTS_SCHEMA: dict[str, pl.DataType] = {"product_id": pl.String(), "name": pl.String(),
                                           "category": pl.String()}


def order_frame(*, engine: Engine) -> pl.DataFrame:
    """Every order with its items JSON as sent."""
    return read_table(engine, "SELECT order_id, customer_id, occurred_at, items FROM orders",
                      schema=ORDERS_SCHEMA)


def product_behaviour_frame(*, engine: Engine) -> pl.DataFrame:
    """Product views and cart adds (``kind`` is the event type)."""
    return read_table(engine, "SELECT customer_id, product_id, type, occurred_at "
                      "FROM behavior_event WHERE product_id IS NOT NULL "
                      "AND type IN ('product_view', 'cart_add')", schema=BEHAVIOR_SCHEMA)


def product_frame(*, engine: Engine) -> pl.DataFrame:
    """The catalog: id, name and category of every product."""
    return read_table(engine, "SELECT product_id, name, category FROM product",
                      schema=PRODUCTS_SCHEMA)
