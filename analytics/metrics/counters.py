"""Counter columns and the aggregations that produce them."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

INTEGER_COUNTERS: tuple[str, ...] = (
    "sent",
    "delivered",
    "bounced",
    "hard_bounced",
    "soft_bounced",
    "unique_opens",
    "human_unique_opens",
    "total_opens",
    "unique_clicks",
    "total_clicks",
    "unsubscribed",
    "complained",
    "conversions",
)
COUNTERS: tuple[str, ...] = (*INTEGER_COUNTERS, "revenue")
COUNTER_SCHEMA: dict[str, pl.DataType] = {
    **{name: pl.Int64() for name in INTEGER_COUNTERS},
    "revenue": pl.Float64(),
}

MESSAGE_COLUMNS: tuple[str, ...] = (
    "delivered_at",
    "bounced_at",
    "bounce_type",
    "first_open_at",
    "open_count",
    "first_human_open_at",
    "first_click_at",
    "click_count",
    "unsubscribed_at",
    "complained_at",
    "conversions",
    "revenue",
)


def require_columns(frame: pl.DataFrame, columns: Sequence[str], *, what: str) -> None:
    """Raise ValueError naming every column of ``columns`` missing from ``frame``."""
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {', '.join(missing)}; "
            f"it has {', '.join(frame.columns) or 'no columns'}"
        )


def _happened(column: str) -> pl.Expr:
    return pl.col(column).is_not_null().sum().cast(pl.Int64)


def _message_aggregations() -> list[pl.Expr]:
    bounced = pl.col("bounced_at").is_not_null()
    return [
        # The message table holds one row per send, so the row count is the sent count.
        pl.len().cast(pl.Int64).alias("sent"),
        _happened("delivered_at").alias("delivered"),
        _happened("bounced_at").alias("bounced"),
        (bounced & (pl.col("bounce_type") == "hard")).sum().cast(pl.Int64).alias("hard_bounced"),
        (bounced & (pl.col("bounce_type") == "soft")).sum().cast(pl.Int64).alias("soft_bounced"),
        _happened("first_open_at").alias("unique_opens"),
        _happened("first_human_open_at").alias("human_unique_opens"),
        pl.col("open_count").fill_null(0).sum().cast(pl.Int64).alias("total_opens"),
        _happened("first_click_at").alias("unique_clicks"),
        pl.col("click_count").fill_null(0).sum().cast(pl.Int64).alias("total_clicks"),
        _happened("unsubscribed_at").alias("unsubscribed"),
        _happened("complained_at").alias("complained"),
        pl.col("conversions").fill_null(0).sum().cast(pl.Int64).alias("conversions"),
        pl.col("revenue").fill_null(0).sum().cast(pl.Float64).alias("revenue"),
    ]


def counters_from_messages(messages: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Aggregate a message frame (one row per send) into counter columns grouped by ``by``.

    ``by`` may name any column of ``messages``, including dimensions the caller joined on
    (email_domain, campaign_type, device, segment, ...). With no ``by`` the result is a
    single totals row. Groups are sorted by ``by`` (nulls last); a null key is its own group
    so that breakdowns still add up to the totals. A bounce with a null ``bounce_type``
    counts in ``bounced`` but in neither ``hard_bounced`` nor ``soft_bounced``.
    """
    by = list(by)
    require_columns(messages, [*MESSAGE_COLUMNS, *by], what="messages frame")
    if not by:
        return messages.select(_message_aggregations())
    return (
        messages.group_by(by)
        .agg(_message_aggregations())
        .sort(by, nulls_last=True)
    )


def sum_counters(counters: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Sum every counter column of ``counters`` (rollup rows or aggregated counters) by ``by``.

    All counter columns must be present. With no ``by`` the result is one totals row.
    Groups are sorted by ``by`` with nulls last; null keys form their own group.
    """
    by = list(by)
    require_columns(counters, [*COUNTERS, *by], what="counters frame")
    sums = [pl.col(name).fill_null(0).sum().cast(COUNTER_SCHEMA[name]) for name in COUNTERS]
    if not by:
        return counters.select(sums)
    return counters.group_by(by).agg(sums).sort(by, nulls_last=True)
