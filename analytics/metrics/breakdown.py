"""Counters and rates per dimension value, with totals that equal the sum of the rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from analytics.metrics.counters import sum_counters
from analytics.metrics.rates import compute_rates, ratio
from analytics.metrics.targets import Targets


@dataclass(frozen=True)
class Breakdown:
    """``rows``: one row per value of ``dimension`` (counters, ``share_of_sent``, rates).
    ``totals``: one row with the summed counters and the rates of those sums."""

    dimension: tuple[str, ...]
    rows: pl.DataFrame
    totals: pl.DataFrame


def breakdown(
    counters: pl.DataFrame,
    dimension: str | Sequence[str],
    *,
    targets: Targets | None = None,
) -> Breakdown:
    """Break ``counters`` (rollup rows or aggregated counters) down by ``dimension``.

    Every row of the input lands in exactly one group (a null value is its own group), so
    each counter of ``totals`` is the sum of that counter over ``rows``; the total rates
    are computed from the summed counters, never averaged. Rows are sorted by sent,
    largest first, then by the dimension. ``targets`` adds status columns as in
    :func:`compute_rates`.
    """
    keys = (dimension,) if isinstance(dimension, str) else tuple(dimension)
    if not keys:
        raise ValueError("dimension must name at least one column")
    grouped = sum_counters(counters, by=keys)
    totals = sum_counters(counters)
    total_sent = totals["sent"].item()
    rows = (
        grouped.with_columns(pl.lit(total_sent, dtype=pl.Int64).alias("total_sent"))
        .with_columns(ratio("sent", "total_sent").alias("share_of_sent"))
        .drop("total_sent")
        .sort(["sent", *keys], descending=[True, *[False] * len(keys)], nulls_last=True)
    )
    totals = totals.with_columns(ratio("sent", "sent").alias("share_of_sent"))
    return Breakdown(
        dimension=keys,
        rows=compute_rates(rows, targets),
        totals=compute_rates(totals, targets),
    )


def with_customer_value(rows: pl.DataFrame, source: pl.DataFrame,
                        keys: list[str]) -> pl.DataFrame:
    """``rows`` (a breakdown by ``keys``) with ``average_customer_value``: the recipients'
    order value before the send, per send, from ``source`` (rows with ``recipient_value``)."""
    values = source.group_by(keys).agg(pl.col("recipient_value").sum().alias("_value"),
                                        pl.col("sent").sum().alias("_sent"))
    return (rows.join(values, on=keys, how="left", nulls_equal=True)
            .with_columns(pl.when(pl.col("_sent") > 0)
                          .then(pl.col("_value") / pl.col("_sent"))
                          .alias("average_customer_value"))
            .drop("_value", "_sent"))


def share_of(rows: pl.DataFrame, totals: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``share_of_sent`` of the sends in ``totals``: for overlapping groups
    (segments) the share of all sends, not of the rows' sum."""
    sent = totals["sent"].item()
    return rows.with_columns((pl.col("sent") / sent if sent else pl.lit(None))
                             .cast(pl.Float64).alias("share_of_sent"))
