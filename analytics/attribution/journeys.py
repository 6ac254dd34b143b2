"""Customer journeys: touches grouped into converting and non-converting paths.

Definitions (each touch belongs to at most one journey):

- A converting journey holds the customer's touches in
  ``[max(order - lookback, previous order), order)``: strictly before the order, within
  the lookback window, and cut at the customer's previous order, so no touch is credited
  to two orders. When a customer has several orders at the same instant, the one with
  the smallest ``order_id`` gets the touches and the others get empty journeys.
- Touches no order claims (after the last order, or older than the lookback window) form
  non-converting journeys: between two orders (and after the last one) they are cut into
  consecutive ``lookback_days`` windows starting at the first unclaimed touch, so a
  non-converting journey spans no more time than a converting one can.
- Touches are ordered by time, then channel, campaign and kind, so the input order of
  equal-time touches never changes a journey.
- Email touches count only when their ``touch_kind`` is in ``email_kinds``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

import polars as pl

from analytics.attribution.schemas import (
    CONVERSIONS_SCHEMA,
    JOURNEYS_SCHEMA,
    TOUCHES_SCHEMA,
    validate_conversions,
    validate_touches,
)

_TIE_ORDER = ("customer_id", "occurred_at", "channel", "campaign_id", "touch_kind")
_LISTS = ("path", "campaigns", "touched_at")


def build_journeys(
    touches: pl.DataFrame,
    conversions: pl.DataFrame,
    *,
    lookback_days: float = 30,
    email_kinds: Collection[str] = ("delivered", "open", "click"),
    email_channel: str = "email",
) -> pl.DataFrame:
    """Group touches into journeys (``JOURNEYS_SCHEMA``), one row per order plus the
    non-converting journeys, sorted by customer, journey end and id.

    See the module docstring for how touches are assigned to journeys.
    """
    validate_touches(touches)
    validate_conversions(conversions)
    if not lookback_days > 0:
        raise ValueError(f"lookback_days must be > 0, got {lookback_days}")
    lookback = timedelta(days=lookback_days)

    kept = (
        touches.select(TOUCHES_SCHEMA.names())
        .with_columns(pl.col("campaign_id").cast(pl.String))
        .filter(
            (pl.col("channel") != email_channel) | pl.col("touch_kind").is_in(list(email_kinds))
        )
        .sort(_TIE_ORDER, nulls_last=False)
    )
    orders = conversions.select(CONVERSIONS_SCHEMA.names()).sort(
        "customer_id", "occurred_at", "order_id"
    )
    claimers = orders.unique(["customer_id", "occurred_at"], keep="first", maintain_order=True)
    claimers = claimers.select(
        "customer_id",
        "occurred_at",
        pl.col("order_id").alias("next_order"),
        pl.col("occurred_at").alias("next_order_at"),
    )
    tagged = kept.join_asof(
        claimers,
        on="occurred_at",
        by="customer_id",
        strategy="forward",
        allow_exact_matches=False,
        check_sortedness=False,
    ).with_columns(
        claimed=pl.col("next_order_at").is_not_null()
        & (pl.col("next_order_at") - pl.col("occurred_at") <= lookback)
    )
    journeys = pl.concat(
        [
            _converting(orders, tagged.filter("claimed")),
            _non_converting(tagged.filter(~pl.col("claimed")), lookback),
        ]
    )
    return (
        journeys.with_columns(
            _end=pl.coalesce(pl.col("converted_at"), pl.col("touched_at").list.last())
        )
        .sort("customer_id", "_end", "journey_id")
        .drop("_end")
    )


def _lists() -> list[pl.Expr]:
    return [
        pl.col("channel").alias("path"),
        pl.col("campaign_id").alias("campaigns"),
        pl.col("occurred_at").alias("touched_at"),
    ]


def _converting(orders: pl.DataFrame, claimed: pl.DataFrame) -> pl.DataFrame:
    paths = claimed.group_by("next_order", maintain_order=True).agg(_lists())
    joined = orders.join(paths, left_on="order_id", right_on="next_order", how="left")
    return joined.select(
        ("order:" + pl.col("order_id")).alias("journey_id"),
        "customer_id",
        "order_id",
        pl.lit(True).alias("converted"),
        "revenue",
        *(pl.col(name).fill_null(pl.lit([], dtype=JOURNEYS_SCHEMA[name])) for name in _LISTS),
        pl.col("occurred_at").alias("converted_at"),
    )


def _non_converting(unclaimed: pl.DataFrame, lookback: timedelta) -> pl.DataFrame:
    # next_order is null after the last order, which keeps that tail its own segment
    segment = ("customer_id", "next_order")
    window_us = lookback // timedelta(microseconds=1)
    windowed = unclaimed.with_columns(
        window=(pl.col("occurred_at") - pl.col("occurred_at").min().over(segment))
        .dt.total_microseconds()
        .floordiv(window_us)
    )
    grouped = windowed.group_by([*segment, "window"], maintain_order=True).agg(_lists())
    return grouped.select(
        (
            "open:"
            + pl.col("customer_id")
            + "@"
            + pl.col("touched_at").list.first().dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ")
        ).alias("journey_id"),
        "customer_id",
        pl.lit(None, dtype=pl.String).alias("order_id"),
        pl.lit(False).alias("converted"),
        pl.lit(0.0).alias("revenue"),
        *_LISTS,
        pl.lit(None, dtype=JOURNEYS_SCHEMA["converted_at"]).alias("converted_at"),
    )
