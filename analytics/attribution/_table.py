"""The numeric form every model computes on: steps as integer codes in flat arrays."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from analytics.attribution.paths import PathKey, journey_steps, sort_paths
from analytics.attribution.schemas import JOURNEYS_SCHEMA, check_frame, validate_paths

_DAY_US = 86_400_000_000


@dataclass(frozen=True, eq=False)
class PathTable:
    keys: tuple[str, ...]
    codes: np.ndarray
    offsets: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray
    # days from each step to its row's conversion; only tables built from journeys
    lags: np.ndarray | None = None
    # structures a model derives from the table alone, reused across bootstrap blocks
    _derived: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def derived(self, key: Hashable, build: Callable[[], Any]) -> Any:
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    @property
    def rows(self) -> int:
        return len(self.offsets) - 1

    @cached_property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @cached_property
    def row_of_step(self) -> np.ndarray:
        return np.repeat(np.arange(self.rows), self.lengths)

    @cached_property
    def position(self) -> np.ndarray:
        position: np.ndarray = np.arange(len(self.codes)) - self.offsets[self.row_of_step]
        return position


def table_from_paths(paths: pl.DataFrame) -> PathTable:
    validate_paths(paths)
    merged = sort_paths(paths.group_by("path").agg(pl.col("conversions", "value", "nulls").sum()))
    return _table(merged["path"], merged, lags=None)


def table_from_journeys(journeys: pl.DataFrame, *, key: PathKey = "channel") -> PathTable:
    check_frame(journeys, JOURNEYS_SCHEMA, name="journeys", nullable={"order_id", "converted_at"})
    touched = journeys.with_columns(steps=journey_steps(journeys, key=key)).filter(
        pl.col("steps").list.len() > 0
    )
    lag_us = (
        touched.select("converted_at", "touched_at")
        .explode("touched_at")
        .select((pl.col("converted_at") - pl.col("touched_at")).dt.total_microseconds())
        .to_series()
        .fill_null(0)
        .to_numpy()
    )
    rows = touched.select(
        pl.col("steps"),
        conversions=pl.col("converted").cast(pl.Float64),
        value=pl.col("revenue"),
        nulls=(~pl.col("converted")).cast(pl.Float64),
    )
    return _table(rows["steps"], rows, lags=lag_us / _DAY_US)


def _table(steps: pl.Series, amounts: pl.DataFrame, *, lags: np.ndarray | None) -> PathTable:
    flat = steps.explode(empty_as_null=False)
    keys = tuple(flat.unique().sort().to_list())
    codes = (
        flat.cast(pl.Enum(keys)).to_physical().to_numpy().astype(np.int64)
        if keys
        else np.zeros(0, dtype=np.int64)
    )
    lengths = steps.list.len().to_numpy().astype(np.int64)
    return PathTable(
        keys=keys,
        codes=codes,
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
        conversions=amounts["conversions"].to_numpy().astype(np.float64),
        value=amounts["value"].to_numpy().astype(np.float64),
        nulls=amounts["nulls"].to_numpy().astype(np.float64),
        lags=lags,
    )
