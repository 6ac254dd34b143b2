"""Frame schemas for attribution inputs and outputs, and their validators."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl
from polars.datatypes import DataType, DataTypeClass

UTC_US = pl.Datetime("us", "UTC")


def _schema(columns: Mapping[str, DataType | DataTypeClass]) -> pl.Schema:
    """A schema from column dtypes; the declared mapping lets a dict mix dtype classes
    (pl.String) and instances (pl.Datetime(...)), which mypy would infer as dict[str, object]."""
    return pl.Schema(columns)


TOUCHES_SCHEMA = _schema(
    {
        "customer_id": pl.String,
        "occurred_at": UTC_US,
        "channel": pl.String,
        "campaign_id": pl.String,
        "touch_kind": pl.String,
    }
)
"""One marketing touch per row; ``campaign_id`` may be null, everything else may not."""

CONVERSIONS_SCHEMA = _schema(
    {
        "order_id": pl.String,
        "customer_id": pl.String,
        "occurred_at": UTC_US,
        "revenue": pl.Float64,
    }
)
"""One order per row; ``order_id`` is unique."""

JOURNEYS_SCHEMA = _schema(
    {
        "journey_id": pl.String,
        "customer_id": pl.String,
        "order_id": pl.String,
        "converted": pl.Boolean,
        "revenue": pl.Float64,
        "path": pl.List(pl.String),
        "campaigns": pl.List(pl.String),
        "touched_at": pl.List(UTC_US),
        "converted_at": UTC_US,
    }
)
"""One journey per row, as returned by ``build_journeys``; ``order_id`` and
``converted_at`` are null for non-converting journeys, ``campaigns`` items may be null."""

PATHS_SCHEMA = _schema(
    {
        "path": pl.List(pl.String),
        "conversions": pl.Float64,
        "value": pl.Float64,
        "nulls": pl.Float64,
    }
)
"""Aggregated paths: one row per distinct non-empty path, with converting journeys
(``conversions``), their revenue (``value``) and non-converting journeys (``nulls``)."""

ATTRIBUTION_SCHEMA = _schema(
    {
        "key": pl.String,
        "conversions": pl.Float64,
        "revenue": pl.Float64,
        "share": pl.Float64,
    }
)
"""One row per channel (or campaign); ``share`` is of conversions, null when there are none."""

COMPARISON_SCHEMA = _schema({"model": pl.String, **ATTRIBUTION_SCHEMA})

INTERVALS_SCHEMA = _schema(
    {
        "key": pl.String,
        "conversions": pl.Float64,
        "conversions_lower": pl.Float64,
        "conversions_upper": pl.Float64,
        "revenue": pl.Float64,
        "revenue_lower": pl.Float64,
        "revenue_upper": pl.Float64,
    }
)

SPEND_SCHEMA = _schema({"key": pl.String, "spend": pl.Float64})

ROI_SCHEMA = _schema(
    {"key": pl.String, "revenue": pl.Float64, "spend": pl.Float64, "roi": pl.Float64}
)


def validate_touches(touches: pl.DataFrame) -> None:
    """Raise ``ValueError`` naming the column and the fix if ``touches`` does not fit
    ``TOUCHES_SCHEMA``; extra columns are allowed and ignored."""
    check_frame(touches, TOUCHES_SCHEMA, name="touches", nullable={"campaign_id"})
    check_non_empty_strings(touches, ("customer_id", "channel"), name="touches")


def validate_conversions(conversions: pl.DataFrame) -> None:
    """Raise ``ValueError`` naming the column, the row and the fix if ``conversions``
    does not fit ``CONVERSIONS_SCHEMA`` (unique order ids, finite revenue >= 0)."""
    check_frame(conversions, CONVERSIONS_SCHEMA, name="conversions")
    check_non_empty_strings(conversions, ("order_id", "customer_id"), name="conversions")
    check_amounts(conversions, ("revenue",), name="conversions")
    duplicated = conversions.with_row_index().filter(pl.col("order_id").is_duplicated())
    if duplicated.height:
        row = duplicated.row(0, named=True)
        raise ValueError(
            f"conversions: column 'order_id' repeats {row['order_id']!r} (row {row['index']}); "
            "keep one row per order, e.g. conversions.unique('order_id')"
        )


def validate_paths(paths: pl.DataFrame) -> None:
    """Raise ``ValueError`` naming the column, the row and the fix if ``paths`` does not
    fit ``PATHS_SCHEMA`` (non-empty paths without empty steps, finite amounts >= 0,
    no value without conversions)."""
    check_frame(paths, PATHS_SCHEMA, name="paths")
    check_amounts(paths, ("conversions", "value", "nulls"), name="paths")
    indexed = paths.with_row_index()
    empty = indexed.filter(pl.col("path").list.len() == 0)
    if empty.height:
        raise ValueError(
            f"paths: column 'path' is empty in row {empty['index'][0]}; "
            "drop journeys without touches before aggregating"
        )
    bad_step = indexed.filter(
        pl.col("path").list.eval(pl.element().is_null() | (pl.element() == "")).list.any()
    )
    if bad_step.height:
        raise ValueError(
            f"paths: column 'path' has a null or empty step in row {bad_step['index'][0]}; "
            "every step must name a channel or campaign"
        )
    orphan = indexed.filter((pl.col("conversions") == 0) & (pl.col("value") > 0))
    if orphan.height:
        raise ValueError(
            f"paths: column 'value' is positive with zero conversions in row "
            f"{orphan['index'][0]}; value is the revenue of the path's conversions"
        )


def check_frame(
    frame: pl.DataFrame,
    schema: pl.Schema,
    *,
    name: str,
    nullable: Collection[str] = (),
) -> None:
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(f"{name}: expected a polars DataFrame, got {type(frame).__name__}")
    for column, dtype in schema.items():
        if column not in frame.columns:
            raise ValueError(f"{name}: column {column!r} is missing; add it as {dtype}")
        actual = frame.schema[column]
        if actual != dtype and not (column in nullable and actual == pl.Null):
            raise ValueError(
                f"{name}: column {column!r} is {actual}, expected {dtype}; "
                f"fix: {_cast_hint(column, dtype, actual)}"
            )
        if column not in nullable and frame[column].null_count():
            row = frame.with_row_index().filter(pl.col(column).is_null())["index"][0]
            raise ValueError(
                f"{name}: column {column!r} is null in row {row} "
                f"({frame[column].null_count()} null rows); fill or drop those rows"
            )


def check_non_empty_strings(frame: pl.DataFrame, columns: Collection[str], *, name: str) -> None:
    for column in columns:
        empty = frame.with_row_index().filter(pl.col(column) == "")
        if empty.height:
            raise ValueError(
                f"{name}: column {column!r} is an empty string in row {empty['index'][0]}; "
                "give it a value or drop the row"
            )


def check_amounts(frame: pl.DataFrame, columns: Collection[str], *, name: str) -> None:
    for column in columns:
        bad = frame.with_row_index().filter(~pl.col(column).is_finite() | (pl.col(column) < 0))
        if bad.height:
            raise ValueError(
                f"{name}: column {column!r} is {bad[column][0]} in row {bad['index'][0]}; "
                "amounts must be finite and >= 0 (drop refunds or net them into the order)"
            )


def _cast_hint(column: str, expected: pl.DataType, actual: pl.DataType) -> str:
    if isinstance(expected, pl.Datetime) and isinstance(actual, pl.Datetime):
        if actual.time_zone is None:
            return f"pl.col({column!r}).dt.replace_time_zone('UTC').dt.cast_time_unit('us')"
        return f"pl.col({column!r}).dt.convert_time_zone('UTC').dt.cast_time_unit('us')"
    if isinstance(expected, pl.Datetime) and actual == pl.String:
        return f"pl.col({column!r}).str.to_datetime(time_unit='us', time_zone='UTC')"
    return f"pl.col({column!r}).cast({expected!r})"
