"""Keeping order attribution (last email touch, see the README) current as orders and
events arrive: the orders of every customer a batch touched are attributed again and the
conversions and revenue of their messages recomputed, inside the batch's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl
from sqlalchemy import Connection, text

from analytics.metrics import attribute_orders
from server.db.repository import bulk
from server.db.repository.frames import UTC_DATETIME, read_frame
from server.settings import get_settings

_CUSTOMERS = "stage_attribution_customers"
_ORDERS = "stage_attribution_orders"
_MESSAGES = "stage_attribution_messages"
_BOUNDS = "stage_attribution_bounds"

_ORDER_SCHEMA = {"order_id": pl.String(), "customer_id": pl.String(),
                 "occurred_at": UTC_DATETIME, "amount": pl.Float64(),
                 "attributed_message_id": pl.String(), "attributed_campaign_id": pl.String(),
                 "attributed_touch": pl.String()}
_MESSAGE_SCHEMA = {"message_id": pl.String(), "campaign_id": pl.String(),
                   "customer_id": pl.String(), "delivered_at": UTC_DATETIME,
                   "first_open_at": UTC_DATETIME, "first_click_at": UTC_DATETIME,
                   "conversions": pl.Int64(), "revenue": pl.Float64()}


def _read(connection: Connection, window: timedelta) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The customers' orders, and those of their sends that can matter: sends with a
    touch between ``window`` before a customer's first order and their last order, and
    sends holding conversions (which may have to give them back). The rest cannot be
    any order's last touch, and are left unread."""
    orders = read_frame(connection, (
        # Safe SQL (S608): stage table names are module constants.
        "SELECT o.order_id, o.customer_id, o.occurred_at, o.amount, "  # noqa: S608
        "o.attributed_message_id, o.attributed_campaign_id, o.attributed_touch "
        f"FROM orders o JOIN {_CUSTOMERS} c ON c.customer_id = o.customer_id"),
        schema=_ORDER_SCHEMA)
    # A day of margin on each side keeps boundary touches in whatever the rounding.
    bounds = orders.group_by("customer_id").agg(
        (pl.col("occurred_at").min() - window - timedelta(days=1)).alias("since"),
        (pl.col("occurred_at").max() + timedelta(days=1)).alias("until"))
    bulk.stage_frame(connection, _BOUNDS, bounds)
    touches = ("m.delivered_at", "m.first_open_at", "m.first_click_at")
    after = " OR ".join(f"{touch} >= b.since" for touch in touches)
    before = " OR ".join(f"{touch} <= b.until" for touch in touches)
    messages = read_frame(connection, (
        # Safe SQL (S608): stage table names are module constants.
        "SELECT m.message_id, m.campaign_id, m.customer_id, m.delivered_at, "  # noqa: S608
        "m.first_open_at, m.first_click_at, m.conversions, m.revenue "
        f"FROM message m JOIN {_CUSTOMERS} c ON c.customer_id = m.customer_id "
        f"LEFT JOIN {_BOUNDS} b ON b.customer_id = m.customer_id "
        f"WHERE m.conversions > 0 OR (({after}) AND ({before}))"),
        schema=_MESSAGE_SCHEMA)
    bulk.drop_stage(connection, _BOUNDS)
    return orders, messages


def reattribute(connection: Connection, customer_ids: Sequence[str]) -> set[str]:
    """Attribute the orders of ``customer_ids`` again; returns the campaigns whose
    conversions or revenue changed (their rollups need a refresh)."""
    settings = get_settings()
    # Conversions are only ever written here, from orders, and orders are never deleted:
    # with no orders stored there is nothing to attribute and nothing to take back.
    if not bulk.has_rows(connection, "orders"):
        return set()
    bulk.stage_frame(connection, _CUSTOMERS,
                     pl.DataFrame({"customer_id": list(customer_ids)}, schema={
                         "customer_id": pl.String}))
    # Only customers with orders, or with conversions to take back, can change.
    connection.execute(text(
        # Safe SQL (S608): stage table names are module constants.
        f"DELETE FROM {_CUSTOMERS} WHERE NOT EXISTS (SELECT 1 FROM orders o "  # noqa: S608
        f"WHERE o.customer_id = {_CUSTOMERS}.customer_id) AND NOT EXISTS "
        f"(SELECT 1 FROM message m WHERE m.customer_id = {_CUSTOMERS}.customer_id "
        f"AND m.conversions > 0)"))
    # Safe SQL (S608): stage table names are module constants.
    if not bulk.count(connection, f"SELECT count(*) FROM {_CUSTOMERS}"):  # noqa: S608
        bulk.drop_stage(connection, _CUSTOMERS)
        return set()
    window = timedelta(days=max(settings.attribution_click_days,
                                settings.attribution_open_days,
                                settings.attribution_delivery_days))
    orders, messages = _read(connection, window)
    attributed = attribute_orders(
        orders.select("order_id", "customer_id", "occurred_at", "amount"),
        messages.select("message_id", "campaign_id", "customer_id", "delivered_at",
                        "first_open_at", "first_click_at"),
        click_days=settings.attribution_click_days, open_days=settings.attribution_open_days,
        delivery_days=settings.attribution_delivery_days)
    touches = attributed.orders
    new_orders = orders.select("order_id", "amount").join(
        touches.select("order_id", "message_id", "campaign_id", "touch"), on="order_id",
        how="left")
    changed_orders = new_orders.join(orders, on="order_id").filter(
        pl.col("message_id").ne_missing(pl.col("attributed_message_id"))
        | pl.col("touch").ne_missing(pl.col("attributed_touch")))
    if not changed_orders.is_empty():
        bulk.stage_frame(connection, _ORDERS, changed_orders.select(
            "order_id", "message_id", "campaign_id", "touch"))
        connection.execute(text(
            # Safe SQL (S608): stage table names are module constants.
            f"UPDATE orders SET attributed_message_id = s.message_id, "  # noqa: S608
            f"attributed_campaign_id = s.campaign_id, attributed_touch = s.touch "
            f"FROM {_ORDERS} s WHERE orders.order_id = s.order_id"))
        bulk.drop_stage(connection, _ORDERS)
    sums = new_orders.filter(pl.col("message_id").is_not_null()).group_by("message_id").agg(
        pl.len().cast(pl.Int64).alias("new_conversions"),
        pl.col("amount").sum().alias("new_revenue"))
    changed = messages.join(sums, on="message_id", how="left").with_columns(
        pl.col("new_conversions").fill_null(0), pl.col("new_revenue").fill_null(0.0),
    ).filter((pl.col("new_conversions") != pl.col("conversions"))
             | ((pl.col("new_revenue") - pl.col("revenue")).abs() > 1e-6))
    if not changed.is_empty():
        bulk.stage_frame(connection, _MESSAGES, changed.select(
            "message_id", pl.col("new_conversions").alias("conversions"),
            pl.col("new_revenue").round(4).alias("revenue")))
        connection.execute(text(
            # Safe SQL (S608): stage table names are module constants.
            f"UPDATE message SET conversions = s.conversions, revenue = s.revenue "  # noqa: S608
            f"FROM {_MESSAGES} s WHERE message.message_id = s.message_id"))
        bulk.drop_stage(connection, _MESSAGES)
    bulk.drop_stage(connection, _CUSTOMERS)
    return set(changed.get_column("campaign_id").to_list())
