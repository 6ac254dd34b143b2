"""Point-in-time customer features: what was known about each customer at a cutoff.

Every feature reads only rows strictly before the cutoff (an open or click counts at its
own time, not its send's), so a model trained on features at T and labels after T never
sees the future. Inputs are the raw tables as frames (``ORDERS_SCHEMA``,
``MESSAGES_SCHEMA``, ``CUSTOMERS_SCHEMA``); a store with only orders works too. A
messages frame may add ``stopped_at`` (``STOPPED_AT``): when that send's recipient
unsubscribed, complained or hard-bounced; a stop before the cutoff means no more mail,
which is most of what decides whether someone can still open.

Preferences (``analytics.predictions.preferences``) join the same rows when their
inputs are given: devices from people's opens and clicks (``events``), categories from
the orders' line ``items`` with the ``products``' categories. Without them (a store
with no event log or no line items) those columns are null, ``categories_bought`` 0.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from analytics.predictions.preferences import (
    PREFERENCE_FEATURES,
    category_features,
    device_features,
    device_shares,
)

UTC = pl.Datetime("us", "UTC")
ORDERS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(), "occurred_at": UTC,
                                         "amount": pl.Float64()}
MESSAGES_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(), "sent_at": UTC,
                                           "first_human_open_at": UTC,
                                           "first_click_at": UTC}
CUSTOMERS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(), "signup_at": UTC}
# The optional messages column: when the send's recipient stopped mail (null: never).
STOPPED_AT = "stopped_at"

# The engagement windows, in days.
WINDOWS = (7, 30, 90)
# The history features, in the order models see them (``PREFERENCE_FEATURES`` follow).
FEATURES: tuple[str, ...] = (
    "tenure_days", "recency_days", "days_since_activity", "frequency", "monetary",
    "revenue_total", "orders_90d", "order_trend",
    "sends_30d", "sends_90d",
    *(f"opens_{w}d" for w in WINDOWS), *(f"clicks_{w}d" for w in WINDOWS),
    "open_rate_90d", "click_rate_90d", "days_since_open", "days_since_click",
    "open_trend", "preferred_open_hour", "weekend_open_share",
    "first_order_days", "order_rate", "order_gap_mean", "gaps_since_order",
    "sends_total", "opens_total", "clicks_total", "open_rate_all", "click_rate_all",
    "days_since_send", "open_gap_mean", "gaps_since_open", "mail_stopped",
)
_DAY_US = 86_400_000_000


def _days_before(cutoff: datetime, column: str) -> pl.Expr:
    return ((pl.lit(cutoff, dtype=UTC) - pl.col(column)).dt.total_microseconds()
            / _DAY_US)


def _population(customers: pl.DataFrame, orders: pl.DataFrame, messages: pl.DataFrame,
                cutoff: datetime) -> pl.DataFrame:
    """Each customer known before ``cutoff`` with the first time they were seen."""
    seen = pl.concat([
        customers.select("customer_id", first=pl.col("signup_at")),
        orders.select("customer_id", first=pl.col("occurred_at")),
        messages.select("customer_id", first=pl.col("sent_at")),
    ])
    return (seen.filter(pl.col("first").is_null() | (pl.col("first") < cutoff))
            .group_by("customer_id").agg(pl.col("first").min())
            .filter(pl.col("first").is_not_null()))


def _order_features(orders: pl.DataFrame, cutoff: datetime) -> pl.DataFrame:
    before = orders.filter(pl.col("occurred_at") < cutoff).with_columns(
        age=_days_before(cutoff, "occurred_at"))
    return before.group_by("customer_id").agg(
        recency_days=pl.col("age").min(),
        first_order_days=pl.col("age").max(),
        frequency=pl.len().cast(pl.Float64),
        monetary=pl.col("amount").mean(),
        revenue_total=pl.col("amount").sum(),
        orders_90d=(pl.col("age") < 90).sum().cast(pl.Float64),
        orders_prev_90d=((pl.col("age") >= 90) & (pl.col("age") < 180)).sum()
        .cast(pl.Float64),
    )


def _message_features(messages: pl.DataFrame, cutoff: datetime) -> pl.DataFrame:
    sent = messages.filter(pl.col("sent_at") < cutoff).with_columns(
        send_age=_days_before(cutoff, "sent_at"),
        opened=pl.col("first_human_open_at").is_not_null()
        & (pl.col("first_human_open_at") < cutoff),
        clicked=pl.col("first_click_at").is_not_null() & (pl.col("first_click_at") < cutoff),
    ).with_columns(
        open_age=pl.when("opened").then(_days_before(cutoff, "first_human_open_at")),
        click_age=pl.when("clicked").then(_days_before(cutoff, "first_click_at")),
        open_hour=pl.when("opened").then(pl.col("first_human_open_at").dt.hour()),
        open_weekend=pl.when("opened").then(pl.col("first_human_open_at").dt.weekday() >= 6),
    )
    aggregations: list[pl.Expr] = [
        (pl.col("send_age") < 30).sum().cast(pl.Float64).alias("sends_30d"),
        (pl.col("send_age") < 90).sum().cast(pl.Float64).alias("sends_90d"),
        pl.col("open_age").min().alias("days_since_open"),
        pl.col("open_age").max().alias("first_open_days"),
        pl.col("send_age").min().alias("days_since_send"),
        pl.len().cast(pl.Float64).alias("sends_total"),
        pl.col("opened").sum().cast(pl.Float64).alias("opens_total"),
        pl.col("clicked").sum().cast(pl.Float64).alias("clicks_total"),
        pl.col("click_age").min().alias("days_since_click"),
        pl.col("open_hour").drop_nulls().mode().sort().first().cast(pl.Float64)
        .alias("preferred_open_hour"),
        pl.col("open_weekend").drop_nulls().cast(pl.Float64).mean()
        .alias("weekend_open_share"),
    ]
    for window in WINDOWS:
        aggregations.append((pl.col("open_age") < window).sum().cast(pl.Float64)
                            .alias(f"opens_{window}d"))
        aggregations.append((pl.col("click_age") < window).sum().cast(pl.Float64)
                            .alias(f"clicks_{window}d"))
    stopped = ((pl.col(STOPPED_AT) < cutoff).any() if STOPPED_AT in sent.columns
               else pl.lit(False))
    aggregations.append(stopped.cast(pl.Float64).alias("mail_stopped"))
    return sent.group_by("customer_id").agg(aggregations)


def customer_features(customers: pl.DataFrame, orders: pl.DataFrame,
                      messages: pl.DataFrame, *, cutoff: datetime,
                      events: pl.DataFrame | None = None,
                      agent_counts: pl.DataFrame | None = None,
                      items: pl.DataFrame | None = None,
                      products: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per customer seen before ``cutoff`` (signed up, ordered or was sent mail):
    ``customer_id`` then ``FEATURES`` and ``PREFERENCE_FEATURES`` as Float64, sorted by
    ``customer_id``.

    ``events`` (``preferences.EVENTS_SCHEMA``: people's opens and clicks) gives the
    device features, or ``agent_counts`` (``preferences.AGENT_COUNTS_SCHEMA``: those
    opens and clicks before ``cutoff`` already counted per customer and user agent);
    ``items`` (``preferences.ITEMS_SCHEMA``: the orders' line items) with ``products``
    (``preferences.PRODUCTS_SCHEMA``) the category features. Without them those are
    null (``categories_bought`` 0).
    """
    if cutoff.tzinfo is None:
        raise ValueError(f"cutoff {cutoff.isoformat()} has no timezone; pass an aware UTC "
                         "datetime")
    population = _population(customers, orders, messages, cutoff)
    frame = (population
             .join(_order_features(orders, cutoff), on="customer_id", how="left")
             .join(_message_features(messages, cutoff), on="customer_id", how="left")
             .join(_preferences(events, agent_counts, items, products, cutoff),
                   on="customer_id", how="left"))
    counts = ["frequency", "revenue_total", "orders_90d", "orders_prev_90d", "sends_30d",
              "sends_90d", *(f"opens_{w}d" for w in WINDOWS),
              *(f"clicks_{w}d" for w in WINDOWS), "sends_total", "opens_total",
              "clicks_total", "mail_stopped", "categories_bought"]
    return (frame.with_columns(pl.col(counts).fill_null(0.0))
            .pipe(_derived, cutoff)
            .select("customer_id", *(pl.col(name).cast(pl.Float64)
                                     for name in (*FEATURES, *PREFERENCE_FEATURES)))
            .sort("customer_id"))


def _preferences(events: pl.DataFrame | None, agent_counts: pl.DataFrame | None,
                 items: pl.DataFrame | None, products: pl.DataFrame | None,
                 cutoff: datetime) -> pl.DataFrame:
    """The device and category features of the customers who have them."""
    frame = pl.DataFrame(schema={"customer_id": pl.String()})
    devices = (device_features(events, cutoff=cutoff) if events is not None
               else None if agent_counts is None else device_shares(agent_counts))
    if devices is not None:
        frame = frame.join(devices, on="customer_id", how="full", coalesce=True)
    if items is not None and products is not None:
        frame = frame.join(category_features(items, products, cutoff=cutoff),
                           on="customer_id", how="full", coalesce=True)
    return frame.with_columns(pl.lit(None, pl.Float64).alias(name)
                              for name in PREFERENCE_FEATURES if name not in frame.columns)


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """``numerator / denominator``, null where the denominator is not positive."""
    return pl.when(denominator > 0).then(numerator / denominator)


def _mean_gap(first_age: str, last_age: str, count: str) -> pl.Expr:
    """Mean days between a customer's events, from the ages of the first and last."""
    return pl.when(pl.col(count) >= 2).then(
        (pl.col(first_age) - pl.col(last_age)) / (pl.col(count) - 1))


def _derived(frame: pl.DataFrame, cutoff: datetime) -> pl.DataFrame:
    """Rates, trends and "how many usual gaps since" from the counts and ages."""
    return frame.with_columns(
        tenure_days=_days_before(cutoff, "first"),
        order_trend=pl.col("orders_90d") - pl.col("orders_prev_90d"),
        open_rate_90d=_ratio(pl.col("opens_90d"), pl.col("sends_90d")),
        click_rate_90d=_ratio(pl.col("clicks_90d"), pl.col("sends_90d")),
        # Opens in the last 30 days against the 30-day average of the 60 before.
        open_trend=pl.col("opens_30d") - (pl.col("opens_90d") - pl.col("opens_30d")) / 2,
        open_rate_all=_ratio(pl.col("opens_total"), pl.col("sends_total")),
        click_rate_all=_ratio(pl.col("clicks_total"), pl.col("sends_total")),
        order_gap_mean=_mean_gap("first_order_days", "recency_days", "frequency"),
        open_gap_mean=_mean_gap("first_open_days", "days_since_open", "opens_total"),
    ).with_columns(
        # Orders per day since first seen (a purchase process starts at signup).
        order_rate=pl.col("frequency") / pl.max_horizontal("tenure_days", 1.0),
        # How many of the customer's usual gaps have passed since the last order / open:
        # a regular buyer silent for five gaps has likely dropped out.
        gaps_since_order=_ratio(pl.col("recency_days"), pl.col("order_gap_mean")),
        gaps_since_open=_ratio(pl.col("days_since_open"), pl.col("open_gap_mean")),
        days_since_activity=pl.min_horizontal("recency_days", "days_since_open",
                                              "days_since_click")
        .fill_null(pl.col("tenure_days")),
    )


def churn_labels(orders: pl.DataFrame, messages: pl.DataFrame, customer_ids: pl.Series, *,
                 cutoff: datetime, horizon_days: int) -> pl.DataFrame:
    """``customer_id`` and ``churned``: True when the customer neither ordered nor opened
    or clicked (people's opens only; machine opens are not engagement) in
    ``[cutoff, cutoff + horizon_days)``."""
    end = cutoff + timedelta(days=horizon_days)

    def between(column: str) -> pl.Expr:
        return (pl.col(column) >= cutoff) & (pl.col(column) < end)

    active = pl.concat([
        orders.filter(between("occurred_at")).select("customer_id"),
        messages.filter(between("first_human_open_at") | between("first_click_at"))
        .select("customer_id"),
    ]).unique()
    ids = pl.DataFrame({"customer_id": customer_ids.cast(pl.String)})
    return ids.with_columns(
        churned=~pl.col("customer_id").is_in(active["customer_id"].implode()))


def shard_of(customer_ids: pl.Series, shards: int) -> np.ndarray:
    """Each id's shard in ``[0, shards)``: CRC-32 of its UTF-8 text, so every worker and
    every run agrees without coordination."""
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    return np.fromiter((zlib.crc32(value.encode()) % shards for value in customer_ids),
                       dtype=np.int64, count=customer_ids.len())
