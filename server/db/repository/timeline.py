"""One customer's timeline: sends and their first open, click and unsubscribe, other
channels' touchpoints, web behaviour and orders, as one frame oldest first."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from sqlalchemy import Connection, text

from server.db.repository.frames import typed

_EMAIL = ("SELECT {column}, 'email', '{action}', campaign_id FROM message "
          "WHERE customer_id = :customer AND {column} IS NOT NULL")
_PARTS = (
    _EMAIL.format(column="sent_at", action="email_sent"),
    _EMAIL.format(column="first_open_at", action="email_open"),
    _EMAIL.format(column="first_click_at", action="email_click"),
    _EMAIL.format(column="unsubscribed_at", action="email_unsubscribe"),
    # The email channel's touchpoints repeat the sends; the sends already hold them.
    "SELECT occurred_at, 'touchpoint', 'touch_' || channel, campaign_id FROM touchpoint "
    "WHERE customer_id = :customer AND channel <> 'email'",
    "SELECT occurred_at, 'behavior', type, product_id FROM behavior_event "
    "WHERE customer_id = :customer",
    "SELECT occurred_at, 'order', 'order', order_id FROM orders WHERE customer_id = :customer",
)


def customer_timeline(connection: Connection, customer_id: str,
                      schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Everything that happened to or by ``customer_id``, with ``schema``'s columns (at,
    source, action, detail), oldest first."""
    sql = " UNION ALL ".join(_PARTS) + " ORDER BY 1, 3, 4"
    rows = [tuple(row) for row in connection.execute(text(sql), {"customer": customer_id})]
    return typed(pl.DataFrame(rows, schema=list(schema), orient="row",
                              infer_schema_length=None), schema)
