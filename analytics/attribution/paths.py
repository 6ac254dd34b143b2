"""Aggregated paths: journeys collapsed to (path, conversions, value, nulls).

Every model except time decay runs on this form, which is what keeps them fast: a
million touches usually collapse to a few thousand distinct paths.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from analytics.attribution.schemas import JOURNEYS_SCHEMA, PATHS_SCHEMA, check_frame

PathKey = Literal["channel", "campaign"]
# A separator no channel or campaign name contains, used only to sort paths.
_SORT_SEPARATOR = "\x1f"


def journeys_to_paths(journeys: pl.DataFrame, *, key: PathKey = "channel") -> pl.DataFrame:
    """Aggregate journeys into ``PATHS_SCHEMA`` rows sorted by path.

    ``key="channel"`` uses each journey's channels as path steps; ``key="campaign"``
    uses campaign ids, falling back to the channel for touches without a campaign (so
    web or paid touches stay in the path and totals still match). Journeys without any
    touch cannot be credited to a step and are left out.
    """
    check_frame(journeys, JOURNEYS_SCHEMA, name="journeys", nullable={"order_id", "converted_at"})
    steps = journey_steps(journeys, key=key)
    touched = journeys.with_columns(path=steps).filter(pl.col("path").list.len() > 0)
    return sort_paths(
        touched.group_by("path").agg(
            conversions=pl.col("converted").cast(pl.Float64).sum(),
            value=pl.col("revenue").sum(),
            nulls=(~pl.col("converted")).cast(pl.Float64).sum(),
        )
    )


def is_journeys(data: pl.DataFrame) -> bool:
    if not isinstance(data, pl.DataFrame):
        raise ValueError(f"expected a polars DataFrame of paths or journeys, got {type(data)}")
    if "journey_id" in data.columns:
        return True
    if "path" in data.columns and "conversions" in data.columns:
        return False
    raise ValueError(
        "data must be aggregated paths (columns path, conversions, value, nulls) or "
        "journeys from build_journeys (journey_id, path, touched_at, ...); "
        f"got columns {data.columns}"
    )


def as_paths(data: pl.DataFrame) -> pl.DataFrame:
    return journeys_to_paths(data) if is_journeys(data) else data


def journey_steps(journeys: pl.DataFrame, *, key: PathKey) -> pl.Series:
    if key == "channel":
        return journeys["path"]
    if key != "campaign":
        raise ValueError(f"key must be 'channel' or 'campaign', got {key!r}")
    exploded = (
        journeys.select("path", "campaigns")
        .with_row_index("_journey")
        .explode("path", "campaigns", empty_as_null=True)
    )
    merged = exploded.group_by("_journey", maintain_order=True).agg(
        pl.coalesce("campaigns", "path").drop_nulls().alias("path")
    )
    return merged["path"].cast(pl.List(pl.String))


def sort_paths(paths: pl.DataFrame) -> pl.DataFrame:
    return (
        paths.with_columns(_sort=pl.col("path").list.join(_SORT_SEPARATOR))
        .sort("_sort")
        .select(PATHS_SCHEMA.names())
    )
