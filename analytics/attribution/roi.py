"""Return on spend for attributed revenue."""

from __future__ import annotations

import polars as pl

from analytics.attribution.schemas import ROI_SCHEMA, SPEND_SCHEMA, check_amounts, check_frame


def roi(attributed: pl.DataFrame, spend: pl.DataFrame) -> pl.DataFrame:
    """``roi = (revenue - spend) / spend`` per key (``ROI_SCHEMA``, plus ``model`` first
    when ``attributed`` is a ``compare_models`` frame), sorted by model and key.

    ``attributed`` needs ``key`` and ``revenue``; ``spend`` follows ``SPEND_SCHEMA`` with
    one row per key. Keys with spend but no attributed revenue get revenue 0; ``spend``
    and ``roi`` are null where spend is absent, ``roi`` also where it is 0.
    """
    check_frame(attributed, pl.Schema({"key": pl.String, "revenue": pl.Float64}), name="attributed")
    check_frame(spend, SPEND_SCHEMA, name="spend")
    check_amounts(spend, ("spend",), name="spend")
    repeated = spend.filter(pl.col("key").is_duplicated())
    if repeated.height:
        raise ValueError(
            f"spend: column 'key' repeats {repeated['key'][0]!r}; sum spend per key first"
        )
    by_model = "model" in attributed.columns
    groups = ["model", "key"] if by_model else ["key"]
    revenue = attributed.select(*groups, "revenue")
    if by_model:
        spent_keys = attributed.select("model").unique().join(spend.select("key"), how="cross")
    else:
        spent_keys = spend.select("key")
    rows = (
        revenue.join(spent_keys, on=groups, how="full", coalesce=True)
        .with_columns(pl.col("revenue").fill_null(0.0))
        .join(spend, on="key", how="left")
    )
    return (
        rows.select(
            *groups,
            "revenue",
            "spend",
            roi=pl.when(pl.col("spend") > 0).then(
                (pl.col("revenue") - pl.col("spend")) / pl.col("spend")
            ),
        )
        .cast(ROI_SCHEMA)
        .sort(groups)
    )
