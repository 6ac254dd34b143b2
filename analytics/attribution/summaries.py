"""Descriptive summaries of journeys and paths."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analytics.attribution.paths import as_paths
from analytics.attribution.schemas import JOURNEYS_SCHEMA, check_frame, validate_paths

_DAY_US = 86_400_000_000


def journey_length_distribution(journeys: pl.DataFrame) -> pl.DataFrame:
    """Journeys by number of touches: ``length``, ``journeys``, ``conversions``,
    ``revenue``, ``conversion_rate``; length 0 counts orders without any touch."""
    _check_journeys(journeys)
    return (
        journeys.group_by(length=pl.col("path").list.len().cast(pl.Int64))
        .agg(
            journeys=pl.len().cast(pl.Int64),
            conversions=pl.col("converted").sum().cast(pl.Int64),
            revenue=pl.col("revenue").sum(),
        )
        .with_columns(conversion_rate=pl.col("conversions") / pl.col("journeys"))
        .sort("length")
    )


def time_to_convert_distribution(
    journeys: pl.DataFrame, *, bins_days: Sequence[float] = (1, 3, 7, 14, 30)
) -> pl.DataFrame:
    """Converting journeys by days from first touch to order, in the bins
    ``[0, b1), [b1, b2), ..., [bn, inf)``: ``bin``, ``lower_days``, ``upper_days`` (null
    for the last), ``conversions``, ``revenue``, ``share``. Every bin is listed; orders
    without touches have no first touch and are left out."""
    _check_journeys(journeys)
    edges = [float(edge) for edge in bins_days]
    if any(edge <= 0 for edge in edges) or edges != sorted(set(edges)):
        raise ValueError(f"bins_days must be increasing and > 0, e.g. (1, 3, 7), got {bins_days}")
    lowers = [0.0, *edges]
    uppers: list[float | None] = [*edges, None]
    converted = journeys.filter(pl.col("converted") & (pl.col("path").list.len() > 0))
    days = (
        pl.col("converted_at") - pl.col("touched_at").list.first()
    ).dt.total_microseconds() / _DAY_US
    index = pl.sum_horizontal(
        pl.lit(0, pl.Int64), *((days >= edge).cast(pl.Int64) for edge in edges)
    )
    binned = converted.select(index=index, revenue=pl.col("revenue"))
    counted = binned.group_by("index").agg(
        conversions=pl.len().cast(pl.Int64), revenue=pl.col("revenue").sum()
    )
    bins = pl.DataFrame(
        {
            "index": list(range(len(lowers))),
            "bin": [_label(lo, up) for lo, up in zip(lowers, uppers, strict=True)],
            "lower_days": lowers,
            "upper_days": uppers,
        },
        schema_overrides={"index": pl.Int64, "upper_days": pl.Float64},
    )
    total = converted.height
    return (
        bins.join(counted, on="index", how="left")
        .with_columns(pl.col("conversions").fill_null(0), pl.col("revenue").fill_null(0.0))
        .with_columns(share=pl.col("conversions") / total if total else pl.lit(None, pl.Float64))
        .sort("index")
        .drop("index")
    )


def top_paths(data: pl.DataFrame, *, n: int = 10) -> pl.DataFrame:
    """The ``n`` most common paths of aggregated paths or journeys (by channel):
    ``path`` (steps joined by " > "), ``journeys``, ``conversions``, ``revenue``,
    ``conversion_rate``; ties broken by conversions, then path text."""
    paths = as_paths(data)
    validate_paths(paths)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return (
        paths.group_by(path=pl.col("path").list.join(" > "))
        .agg(
            journeys=(pl.col("conversions") + pl.col("nulls")).sum(),
            conversions=pl.col("conversions").sum(),
            revenue=pl.col("value").sum(),
        )
        .with_columns(
            conversion_rate=pl.when(pl.col("journeys") > 0).then(
                pl.col("conversions") / pl.col("journeys")
            )
        )
        .sort(["journeys", "conversions", "path"], descending=[True, True, False])
        .head(n)
    )


def _check_journeys(journeys: pl.DataFrame) -> None:
    check_frame(journeys, JOURNEYS_SCHEMA, name="journeys", nullable={"order_id", "converted_at"})


def _label(lower: float, upper: float | None) -> str:
    return f"[{lower:g}, {upper:g}) d" if upper is not None else f"[{lower:g}, inf) d"
