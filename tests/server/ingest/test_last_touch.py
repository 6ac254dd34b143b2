"""Re-attribution reads only the sends near a customer's orders; the result must equal
attributing every order against every send, whatever order the kinds arrive in."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine

from analytics.metrics import attribute_orders
from server.db.engine import engine_for
from server.db.repository.frames import UTC_DATETIME, read_table
from server.demo import KINDS, generate
from server.ingest import load_frame

_KINDS_EVENTS_LAST = ("customers", "products", "campaigns", "variants", "messages",
                      "orders", "events")


def _stored(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    orders = read_table(engine, "SELECT order_id, customer_id, occurred_at, "
                                "CAST(amount AS REAL) AS amount, attributed_message_id "
                                "FROM orders ORDER BY order_id", schema={
        "order_id": pl.String(), "customer_id": pl.String(), "occurred_at": UTC_DATETIME,
        "amount": pl.Float64(), "attributed_message_id": pl.String()})
    messages = read_table(engine, "SELECT message_id, campaign_id, customer_id, "
                                  "delivered_at, first_open_at, first_click_at, conversions "
                                  "FROM message ORDER BY message_id", schema={
        "message_id": pl.String(), "campaign_id": pl.String(), "customer_id": pl.String(),
        "delivered_at": UTC_DATETIME, "first_open_at": UTC_DATETIME,
        "first_click_at": UTC_DATETIME, "conversions": pl.Int64()})
    return orders, messages


@pytest.mark.parametrize("events_last", [False, True])
def test_attribution_equals_a_full_recomputation(sqlite_url: str, events_last: bool) -> None:
    engine = engine_for(sqlite_url)
    data = generate(customers=400, campaigns=10, days=60, seed=5)
    for kind in (_KINDS_EVENTS_LAST if events_last else KINDS):
        if kind in data.frames:
            load_frame(kind, data.frames[kind], engine=engine)
    orders, messages = _stored(engine)
    expected = attribute_orders(
        orders.select("order_id", "customer_id", "occurred_at", "amount"),
        messages.select("message_id", "campaign_id", "customer_id", "delivered_at",
                        "first_open_at", "first_click_at")).orders
    attributed = orders.select("order_id", "attributed_message_id").join(
        expected.select("order_id", "message_id"), on="order_id", how="left")
    assert attributed.filter(pl.col("message_id").is_not_null()).height > 20
    assert attributed.get_column("attributed_message_id").to_list() == \
        attributed.get_column("message_id").to_list()
    conversions = expected.filter(pl.col("message_id").is_not_null()).group_by(
        "message_id").len()
    stored = messages.filter(pl.col("conversions") > 0).select(
        "message_id", pl.col("conversions").cast(pl.UInt32).alias("len"))
    assert stored.sort("message_id").equals(conversions.sort("message_id"))
