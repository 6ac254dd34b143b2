"""Summary counters judged against targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from analytics.metrics.counters import COUNTER_SCHEMA, COUNTERS
from analytics.metrics.definitions import METRICS, ValueFormat
from analytics.metrics.rates import Status, compute_rates
from analytics.metrics.targets import Targets


@dataclass(frozen=True)
class MetricStatus:
    """One metric of a summary: its value, target and how far it is from the target.

    ``difference`` is ``value - target`` (negative means below target, whichever way is
    better). ``numerator`` and ``denominator`` are the counters the value came from.
    """

    metric: str
    label: str
    value: float | None
    target: float
    status: Status
    difference: float | None
    higher_is_better: bool
    numerator: float
    denominator: int
    format: ValueFormat


def _summary_frame(summary: Mapping[str, float] | pl.DataFrame) -> pl.DataFrame:
    if isinstance(summary, pl.DataFrame):
        if summary.height != 1:
            raise ValueError(
                f"summary counters must be one row; got {summary.height} rows "
                "(sum them with sum_counters first)"
            )
        return summary
    missing = [name for name in COUNTERS if name not in summary]
    if missing:
        raise ValueError(f"summary counters are missing {', '.join(missing)}")
    return pl.DataFrame(
        {name: [summary[name]] for name in COUNTERS},
        schema={name: COUNTER_SCHEMA[name] for name in COUNTERS},
    )


def evaluate(
    summary_counters: Mapping[str, float] | pl.DataFrame, targets: Targets | None = None
) -> list[MetricStatus]:
    """Judge every metric that has a target, in metric-table order.

    ``summary_counters`` is a mapping of every counter name to its total, or a one-row
    counters frame. ``targets`` defaults to ``Targets()``. Metrics without a target are
    left out; a metric whose denominator is zero has status ``"no_data"``.
    """
    targets = targets or Targets()
    row = compute_rates(_summary_frame(summary_counters), targets).row(0, named=True)
    statuses: list[MetricStatus] = []
    for definition in METRICS:
        target = targets.target(definition.name)
        if target is None:
            continue
        value = row[definition.name]
        statuses.append(
            MetricStatus(
                metric=definition.name,
                label=definition.label,
                value=value,
                target=target,
                status=row[f"{definition.name}_status"],
                difference=None if value is None else value - target,
                higher_is_better=definition.higher_is_better,
                numerator=row[definition.numerator],
                denominator=row[definition.denominator],
                format=definition.format,
            )
        )
    return statuses
