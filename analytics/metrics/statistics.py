"""Descriptive statistics and correlations of rates across campaigns."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import polars as pl
from scipy import stats

from analytics.metrics.definitions import METRIC_NAMES
from analytics.metrics.ranking import with_rates

SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "metric": pl.String(),
    "count": pl.Int64(),
    "mean": pl.Float64(),
    "std": pl.Float64(),
    "min": pl.Float64(),
    "q25": pl.Float64(),
    "median": pl.Float64(),
    "q75": pl.Float64(),
    "max": pl.Float64(),
}
CORRELATION_SCHEMA: dict[str, pl.DataType] = {
    "x": pl.String(),
    "y": pl.String(),
    "n": pl.Int64(),
    "r": pl.Float64(),
    "p_value": pl.Float64(),
}


@dataclass(frozen=True)
class CampaignStatistics:
    """``summary``: one row per rate (count, mean, std, min, q25, median, q75, max).
    ``correlations``: one row per ordered pair of rates (x, y, n, r, p_value)."""

    summary: pl.DataFrame
    correlations: pl.DataFrame

    def matrix(self, value: str = "r") -> pl.DataFrame:
        """The correlations as a square matrix of ``value`` (``"r"``, ``"p_value"`` or
        ``"n"``): a ``metric`` column, then one column per rate."""
        return self.correlations.pivot(on="y", index="x", values=value).rename({"x": "metric"})


def _summary(frame: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    rows = []
    for name in names:
        column = pl.col(name)
        rows.append(
            frame.select(
                pl.lit(name).alias("metric"),
                column.count().cast(pl.Int64).alias("count"),
                column.mean().alias("mean"),
                column.std(ddof=1).alias("std"),
                column.min().cast(pl.Float64).alias("min"),
                column.quantile(0.25, "linear").alias("q25"),
                column.median().alias("median"),
                column.quantile(0.75, "linear").alias("q75"),
                column.max().cast(pl.Float64).alias("max"),
            )
        )
    return pl.concat(rows) if rows else pl.DataFrame(schema=SUMMARY_SCHEMA)


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[int, float | None, float | None]:
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 3:
        return n, None, None
    # A (nearly) constant column has no defined correlation; scipy says so with a warning,
    # which we turn into a null rather than a possibly meaningless number.
    with warnings.catch_warnings():
        warnings.simplefilter("error", stats.ConstantInputWarning)
        warnings.simplefilter("error", stats.NearConstantInputWarning)
        try:
            result = stats.pearsonr(x, y)
        except (stats.ConstantInputWarning, stats.NearConstantInputWarning):
            return n, None, None
    return n, float(result.statistic), float(result.pvalue)


def _correlations(frame: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    arrays = {
        name: frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy() for name in names
    }
    rows = [(x, y, *_pearson(arrays[x], arrays[y])) for x, y in product(names, repeat=2)]
    return pl.DataFrame(rows, schema=CORRELATION_SCHEMA, orient="row")


def campaign_statistics(
    per_campaign_rates: pl.DataFrame, metrics: Sequence[str] | None = None
) -> CampaignStatistics:
    """Describe every rate across campaigns and correlate each pair of rates.

    ``per_campaign_rates`` has one row per campaign with rate columns (or counters, from
    which rates are computed). ``metrics`` defaults to every rate of the metric table.
    Null rates (campaigns without a denominator) are left out per rate for the summary
    and pairwise for correlations. Quartiles interpolate linearly; ``std`` is the sample
    standard deviation (null below two values). Pearson r and its two-sided p-value are
    scipy's ``pearsonr``; they are null below three pairs or when a rate is constant.
    """
    names = list(metrics) if metrics is not None else list(METRIC_NAMES)
    for name in names:
        if name not in METRIC_NAMES:
            raise ValueError(f"unknown metric {name!r}; choose from {', '.join(METRIC_NAMES)}")
    frame = with_rates(per_campaign_rates, names)
    return CampaignStatistics(
        summary=_summary(frame, names), correlations=_correlations(frame, names)
    )
