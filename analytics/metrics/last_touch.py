"""Last-email-touch attribution of orders to messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from analytics.metrics.counters import require_columns

# At equal touch times the stronger signal wins.
TOUCH_PRIORITY: dict[str, int] = {"click": 0, "open": 1, "delivery": 2}

ORDER_COLUMNS = ("order_id", "customer_id", "occurred_at", "amount")


@dataclass(frozen=True)
class Attribution:
    """``orders``: every input order with the message it is attributed to
    (order_id, customer_id, occurred_at, amount, message_id, campaign_id, touch, touch_at;
    the last four null when no touch qualifies).
    ``messages``: per attributed message, message_id, campaign_id, conversions (number of
    orders) and revenue (sum of their amounts)."""

    orders: pl.DataFrame
    messages: pl.DataFrame


def _window(name: str, days: float) -> timedelta:
    if isinstance(days, bool) or not isinstance(days, int | float) or not days >= 0:
        raise ValueError(f"{name} must be a non-negative number of days; got {days!r}")
    return timedelta(days=days)


def _latest_touches(
    orders: pl.DataFrame, messages: pl.DataFrame, kind: str, column: str, window: timedelta
) -> pl.DataFrame:
    touches = (
        messages.select(
            "customer_id", "message_id", "campaign_id", pl.col(column).alias("touch_at")
        )
        .drop_nulls("touch_at")
        # One touch per customer and instant, the smallest message_id, so that ties between
        # messages are decided by message_id rather than by join internals.
        .sort(["touch_at", "message_id"])
        .unique(["customer_id", "touch_at"], keep="first", maintain_order=True)
    )
    matched = orders.join_asof(
        touches,
        left_on="occurred_at",
        right_on="touch_at",
        by="customer_id",
        strategy="backward",
        tolerance=window,
        # "Before the order": a touch at the very instant of the order does not count.
        allow_exact_matches=False,
        # Both sides are sorted on the time column above; polars cannot verify it per group.
        check_sortedness=False,
    )
    return matched.drop_nulls("touch_at").select(
        "order_id",
        "message_id",
        "campaign_id",
        pl.lit(kind).alias("touch"),
        "touch_at",
        pl.lit(TOUCH_PRIORITY[kind]).alias("priority"),
    )


def attribute_orders(
    orders: pl.DataFrame,
    messages: pl.DataFrame,
    *,
    click_days: float = 7,
    open_days: float = 3,
    delivery_days: float = 1,
    human_opens_only: bool = False,
) -> Attribution:
    """Attribute each order to the customer's last qualifying email touch before it.

    A message touches its customer when it is clicked (``first_click_at``), opened
    (``first_open_at``, or ``first_human_open_at`` with ``human_opens_only``) or delivered
    (``delivered_at``). A touch qualifies when it happened strictly before the order and at
    most ``click_days`` / ``open_days`` / ``delivery_days`` before it (a window of 0 turns
    that kind off).
    Among qualifying touches of the same customer the latest wins; at equal times a click
    beats an open beats a delivery, then the smaller message_id wins.

    ``orders`` needs order_id (unique), customer_id, occurred_at and amount; ``messages``
    needs message_id, campaign_id, customer_id and the touch columns. Time columns must
    share one dtype (``pl.Datetime("us", "UTC")``).
    """
    open_column = "first_human_open_at" if human_opens_only else "first_open_at"
    kinds = (
        ("click", "first_click_at", _window("click_days", click_days)),
        ("open", open_column, _window("open_days", open_days)),
        ("delivery", "delivered_at", _window("delivery_days", delivery_days)),
    )
    require_columns(orders, ORDER_COLUMNS, what="orders frame")
    require_columns(
        messages,
        ["message_id", "campaign_id", "customer_id", *(column for _, column, _ in kinds)],
        what="messages frame",
    )
    if orders["order_id"].n_unique() != orders.height:
        raise ValueError("orders frame has repeated order_id values; each order must be one row")

    keyed = orders.select(ORDER_COLUMNS).drop_nulls(["customer_id", "occurred_at"])
    keyed = keyed.sort("occurred_at")
    relevant = messages.join(keyed.select("customer_id").unique(), on="customer_id", how="semi")
    candidates = pl.concat(
        _latest_touches(keyed, relevant, kind, column, window) for kind, column, window in kinds
    )
    winners = (
        candidates.sort(
            ["order_id", "touch_at", "priority", "message_id"],
            descending=[False, True, False, False],
        )
        .unique("order_id", keep="first", maintain_order=True)
        .drop("priority")
    )
    attributed = orders.select(ORDER_COLUMNS).join(
        winners, on="order_id", how="left", maintain_order="left"
    )
    per_message = (
        attributed.drop_nulls("message_id")
        .group_by("message_id", "campaign_id")
        .agg(
            pl.len().cast(pl.Int64).alias("conversions"),
            pl.col("amount").fill_null(0).sum().cast(pl.Float64).alias("revenue"),
        )
        .sort("message_id")
    )
    return Attribution(orders=attributed, messages=per_message)
