"""Rates from counters, and their status against targets."""

from __future__ import annotations

from typing import Literal

import polars as pl

from analytics.metrics.counters import require_columns
from analytics.metrics.definitions import METRICS, MetricDefinition
from analytics.metrics.targets import Targets

Status = Literal["good", "warning", "bad", "no_data"]
STATUSES: tuple[Status, ...] = ("good", "warning", "bad", "no_data")


def ratio(numerator: str, denominator: str) -> pl.Expr:
    """``numerator / denominator`` as Float64, null when the denominator is zero or null."""
    den = pl.col(denominator)
    return pl.when(den > 0).then(pl.col(numerator).cast(pl.Float64) / den.cast(pl.Float64))


def rate_expr(definition: MetricDefinition) -> pl.Expr:
    """The expression computing ``definition`` from counter columns."""
    return ratio(definition.numerator, definition.denominator).alias(definition.name)


def status_expr(definition: MetricDefinition, targets: Targets) -> pl.Expr:
    """``"good" | "warning" | "bad" | "no_data"`` for the rate column of ``definition``.

    Good: the target is met (value >= target when higher is better, <= when lower is).
    Warning: missed by at most ``targets.warning_band`` times the target.
    Bad: missed by more. No data: the rate is null. Null when the metric has no target.
    """
    name = f"{definition.name}_status"
    target = targets.target(definition.name)
    if target is None:
        return pl.lit(None, dtype=pl.String).alias(name)
    value = pl.col(definition.name)
    if definition.higher_is_better:
        good, warning = value >= target, value >= target * (1 - targets.warning_band)
    else:
        good, warning = value <= target, value <= target * (1 + targets.warning_band)
    return (
        pl.when(value.is_null())
        .then(pl.lit("no_data"))
        .when(good)
        .then(pl.lit("good"))
        .when(warning)
        .then(pl.lit("warning"))
        .otherwise(pl.lit("bad"))
        .alias(name)
    )


def compute_rates(counters: pl.DataFrame, targets: Targets | None = None) -> pl.DataFrame:
    """Add every rate of the metric table to a frame of counter columns.

    A rate whose denominator is zero is null (never 0, NaN or infinity). With ``targets``,
    a ``<metric>_status`` column follows the rates for every metric (null where the metric
    has no target); see :func:`status_expr` for the rule.
    """
    needed = dict.fromkeys(c for m in METRICS for c in (m.numerator, m.denominator))
    require_columns(counters, list(needed), what="counters frame")
    frame = counters.with_columns(rate_expr(definition) for definition in METRICS)
    if targets is None:
        return frame
    return frame.with_columns(status_expr(definition, targets) for definition in METRICS)
