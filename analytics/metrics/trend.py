"""Counters and rates per calendar period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

import polars as pl

from analytics.metrics.counters import COUNTER_SCHEMA, COUNTERS, require_columns, sum_counters
from analytics.metrics.rates import compute_rates


class Granularity(StrEnum):
    """Period length of a trend series."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def every(self) -> str:
        """The polars duration string of one period."""
        return _EVERY[self]


# Polars aligns "1w" to Mondays and "1q" to January, April, July and October.
_EVERY = {
    Granularity.DAY: "1d",
    Granularity.WEEK: "1w",
    Granularity.MONTH: "1mo",
    Granularity.QUARTER: "1q",
    Granularity.YEAR: "1y",
}


def period_start(day: date, granularity: Granularity | str) -> date:
    """The first day of the period that contains ``day``."""
    every = Granularity(granularity).every
    start = _as_date(pl.select(pl.lit(day, dtype=pl.Date).dt.truncate(every)).item())
    if start is None:
        raise ValueError(f"no period start for {day!r}")
    return start


def _as_date(value: object) -> date | None:
    """A pl.Date scalar as a date (None stays None); polars types scalars as any literal."""
    if value is None or isinstance(value, date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def trend(
    counters_with_day: pl.DataFrame,
    granularity: Granularity | str,
    *,
    day_column: str = "day",
    start: date | None = None,
    end: date | None = None,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Counters summed per period (and per ``by`` group) with every rate, oldest first.

    ``day_column`` (pl.Date) is bucketed into period starts in a ``period`` column: weeks
    start on Monday, quarters on 1 January, April, July and October. Rows outside
    ``start``..``end`` (inclusive) are dropped. When either bound is given, every period
    from the bound (or the data's first/last day) is present, each ``by`` group having
    every period; periods without sends have zero counters and null rates. Periods are
    calendar periods, so the first and last ones may cover part of the range only.
    """
    granularity = Granularity(granularity)
    by = list(by)
    require_columns(counters_with_day, [day_column, *COUNTERS, *by], what="counters frame")
    if counters_with_day.schema[day_column] != pl.Date:
        raise ValueError(
            f"column {day_column} must be pl.Date; got {counters_with_day.schema[day_column]}"
        )
    day = pl.col(day_column)
    frame = counters_with_day
    if start is not None:
        frame = frame.filter(day >= start)
    if end is not None:
        frame = frame.filter(day <= end)
    bucketed = frame.with_columns(day.dt.truncate(granularity.every).alias("period"))
    summed = sum_counters(bucketed, by=["period", *by])
    if start is not None or end is not None:
        summed = _fill_periods(summed, granularity, start, end, by)
    return compute_rates(summed.sort(["period", *by], nulls_last=True))


def _fill_periods(
    summed: pl.DataFrame,
    granularity: Granularity,
    start: date | None,
    end: date | None,
    by: list[str],
) -> pl.DataFrame:
    first = (period_start(start, granularity) if start is not None
             else _as_date(summed["period"].min()))
    last = period_start(end, granularity) if end is not None else _as_date(summed["period"].max())
    if first is None or last is None or first > last:
        return summed
    grid = pl.date_range(first, last, granularity.every, eager=True).alias("period").to_frame()
    if by:
        grid = grid.join(summed.select(by).unique(), how="cross")
    return (
        grid.join(summed, on=["period", *by], how="left", nulls_equal=True)
        .with_columns(pl.col(name).fill_null(0).cast(COUNTER_SCHEMA[name]) for name in COUNTERS)
    )
