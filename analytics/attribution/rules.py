"""Rule-based models: each step of a journey gets a fixed fraction of its conversion.

A step's fraction depends only on its own journey, so credit is linear in the path
counts: one sparse (paths x keys) matrix of fractions serves every bootstrap replicate.
A key appearing twice in a path collects both steps' fractions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
from scipy import sparse

from analytics.attribution._result import run_model
from analytics.attribution._table import PathTable, table_from_journeys, table_from_paths
from analytics.attribution.paths import PathKey


def first_touch(paths: pl.DataFrame) -> pl.DataFrame:
    """All credit to the first step of each path (``ATTRIBUTION_SCHEMA``)."""
    return run_model(first_touch_batch, table_from_paths(paths))


def last_touch(paths: pl.DataFrame) -> pl.DataFrame:
    """All credit to the last step of each path (``ATTRIBUTION_SCHEMA``)."""
    return run_model(last_touch_batch, table_from_paths(paths))


def linear(paths: pl.DataFrame) -> pl.DataFrame:
    """Credit split equally over the steps of each path (``ATTRIBUTION_SCHEMA``)."""
    return run_model(linear_batch, table_from_paths(paths))


def position_based(
    paths: pl.DataFrame, *, first: float = 0.4, middle: float = 0.2, last: float = 0.4
) -> pl.DataFrame:
    """U-shaped credit (``ATTRIBUTION_SCHEMA``): ``first`` to the first step, ``last`` to
    the last, ``middle`` split equally over the steps between. A one-step path gives its
    step 100%; a two-step path splits ``first + last`` in their ratio
    (``first / (first + last)`` and ``last / (first + last)``, 50/50 when both are 0)."""
    return run_model(
        position_based_batch, table_from_paths(paths), first=first, middle=middle, last=last
    )


def time_decay(
    journeys: pl.DataFrame, *, half_life_days: float = 7.0, key: PathKey = "channel"
) -> pl.DataFrame:
    """Credit weighted by ``2 ** (-days_before_conversion / half_life_days)`` and
    normalised within each journey (``ATTRIBUTION_SCHEMA``).

    Works on journeys, not aggregated paths, because each touch's time before its
    conversion is needed; journeys without touches are left out as in every model.
    """
    return run_model(
        time_decay_batch, table_from_journeys(journeys, key=key), half_life_days=half_life_days
    )


def first_touch_batch(
    table: PathTable, conversions: np.ndarray, value: np.ndarray, nulls: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return _credit(table, conversions, value, _first_weights)


def last_touch_batch(
    table: PathTable, conversions: np.ndarray, value: np.ndarray, nulls: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return _credit(table, conversions, value, _last_weights)


def linear_batch(
    table: PathTable, conversions: np.ndarray, value: np.ndarray, nulls: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return _credit(table, conversions, value, _linear_weights)


def position_based_batch(
    table: PathTable,
    conversions: np.ndarray,
    value: np.ndarray,
    nulls: np.ndarray,
    *,
    first: float = 0.4,
    middle: float = 0.2,
    last: float = 0.4,
) -> tuple[np.ndarray, np.ndarray]:
    return _credit(
        table, conversions, value, _position_weights, first=first, middle=middle, last=last
    )


def time_decay_batch(
    table: PathTable,
    conversions: np.ndarray,
    value: np.ndarray,
    nulls: np.ndarray,
    *,
    half_life_days: float = 7.0,
) -> tuple[np.ndarray, np.ndarray]:
    return _credit(table, conversions, value, _decay_weights, half_life_days=half_life_days)


def _credit(
    table: PathTable,
    conversions: np.ndarray,
    value: np.ndarray,
    weights: Callable[..., np.ndarray],
    **params: float,
) -> tuple[np.ndarray, np.ndarray]:

    def build() -> sparse.csr_array:
        return sparse.csr_array(
            (weights(table, **params), (table.row_of_step, table.codes)),
            shape=(table.rows, len(table.keys)),
        )

    unit = table.derived((weights.__name__, tuple(sorted(params.items()))), build)
    return np.asarray(conversions @ unit), np.asarray(value @ unit)


def _first_weights(table: PathTable) -> np.ndarray:
    weights: np.ndarray = (table.position == 0).astype(np.float64)
    return weights


def _last_weights(table: PathTable) -> np.ndarray:
    weights: np.ndarray = (table.position == table.lengths[table.row_of_step] - 1).astype(
        np.float64)
    return weights


def _linear_weights(table: PathTable) -> np.ndarray:
    weights: np.ndarray = 1.0 / table.lengths[table.row_of_step]
    return weights


def _position_weights(table: PathTable, *, first: float, middle: float, last: float) -> np.ndarray:
    shares = np.array([first, middle, last], dtype=np.float64)
    if not np.all(np.isfinite(shares)) or np.any(shares < 0) or abs(shares.sum() - 1) > 1e-9:
        raise ValueError(
            f"position_based weights first={first}, middle={middle}, last={last} must be "
            ">= 0 and sum to 1, e.g. first=0.4, middle=0.2, last=0.4"
        )
    length = table.lengths[table.row_of_step]
    position = table.position
    ends = first + last
    first_of_two, last_of_two = (first / ends, last / ends) if ends > 0 else (0.5, 0.5)
    return np.select(
        [length == 1, length == 2, position == 0, position == length - 1],
        [1.0, np.where(position == 0, first_of_two, last_of_two), first, last],
        default=middle / np.maximum(length - 2, 1),
    )


def _decay_weights(table: PathTable, *, half_life_days: float) -> np.ndarray:
    if table.lags is None:
        raise ValueError(
            "time_decay needs touch times: pass journeys (build_journeys), not aggregated paths"
        )
    if not (np.isfinite(half_life_days) and half_life_days > 0):
        raise ValueError(f"half_life_days must be > 0, got {half_life_days}")
    if table.rows == 0:
        return np.zeros(0)
    # measuring from each journey's latest touch keeps one weight at 1, so long lags
    # with a short half-life cannot underflow every weight of a journey to zero
    latest = np.minimum.reduceat(table.lags, table.offsets[:-1])
    raw = np.exp2(-(table.lags - latest[table.row_of_step]) / half_life_days)
    totals = np.add.reduceat(raw, table.offsets[:-1])
    weights: np.ndarray = raw / totals[table.row_of_step]
    return weights
