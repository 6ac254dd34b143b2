"""Bootstrap intervals for any model's attributed conversions and revenue.

A resample draws as many journeys as were observed, with replacement: a multinomial
over the cells (path, converted) and (path, not converted) weighted by their counts
(for ``time_decay``, which needs touch times, the journeys themselves). A resampled
path's revenue is its count times the path's observed value per conversion; fractional
counts (from a path file) are resampled as the rounded total of journeys. Rule-based
and Shapley models credit a block of resamples in one vectorised step; Markov solves
each resample's chain.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from analytics.attribution._registry import Tables, resolve
from analytics.attribution._result import check_total
from analytics.attribution.paths import PathKey
from analytics.attribution.schemas import INTERVALS_SCHEMA

# Resamples are drawn in blocks of at most this many cells to bound memory.
_BLOCK_CELLS = 1 << 22


def bootstrap_intervals(
    data: pl.DataFrame,
    model: str,
    *,
    n_resamples: int = 200,
    level: float = 0.95,
    seed: int = 0,
    key: PathKey | None = None,
    **params: Any,
) -> pl.DataFrame:
    """Percentile bootstrap intervals at ``level`` for ``model`` run with ``params``
    (``INTERVALS_SCHEMA``); the point columns are the model on the observed data.
    The same ``seed`` always gives the same intervals."""
    batch = resolve(model, params)
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, e.g. 0.95, got {level}")
    table = Tables(data, key=key).for_model(model)
    point_conversions, point_revenue = batch(
        table, table.conversions[None], table.value[None], table.nulls[None], **params
    )
    check_total(point_conversions, table.conversions.sum(), what="conversions")
    check_total(point_revenue, table.value.sum(), what="revenue")

    counts = np.concatenate([table.conversions, table.nulls])
    journeys = int(round(counts.sum()))
    per_conversion = np.divide(
        table.value, table.conversions, out=np.zeros(table.rows), where=table.conversions > 0
    )
    rng = np.random.default_rng(seed)
    conversions, revenue = [], []
    block = max(1, _BLOCK_CELLS // max(len(counts), 1))
    for start in range(0, n_resamples, block):
        size = min(block, n_resamples - start)
        draws = _resample(rng, counts, journeys, size)
        converted, lost = draws[:, : table.rows], draws[:, table.rows :]
        value = converted * per_conversion
        credited, earned = batch(table, converted, value, lost, **params)
        check_total(credited, converted.sum(axis=1), what="resampled conversions")
        check_total(earned, value.sum(axis=1), what="resampled revenue")
        conversions.append(credited)
        revenue.append(earned)

    tail = (1 - level) / 2
    quantiles = [tail, 1 - tail]
    conversion_bounds = np.quantile(np.concatenate(conversions), quantiles, axis=0)
    revenue_bounds = np.quantile(np.concatenate(revenue), quantiles, axis=0)
    return pl.DataFrame(
        {
            "key": list(table.keys),
            "conversions": point_conversions[0],
            "conversions_lower": conversion_bounds[0],
            "conversions_upper": conversion_bounds[1],
            "revenue": point_revenue[0],
            "revenue_lower": revenue_bounds[0],
            "revenue_upper": revenue_bounds[1],
        },
        schema=INTERVALS_SCHEMA,
    )


def _resample(rng: np.random.Generator, counts: np.ndarray, journeys: int, size: int) -> np.ndarray:
    cells = len(counts)
    if journeys == 0:
        return np.zeros((size, cells))
    if journeys < cells and np.array_equal(counts, np.round(counts)):
        # more cells than journeys (journey tables: one per journey and outcome), so
        # drawing journeys and counting them per cell beats a per-cell multinomial
        cell_of_journey = np.repeat(np.arange(cells), counts.astype(np.int64))
        picks = cell_of_journey[rng.integers(0, journeys, (size, journeys))]
        picks += np.arange(size)[:, None] * cells
        return np.bincount(picks.ravel(), minlength=size * cells).reshape(size, cells) * 1.0
    return rng.multinomial(journeys, counts / counts.sum(), size=size) * 1.0
