"""Turning credit arrays into the attribution frame, with the exact-totals guarantee."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from analytics.attribution._table import PathTable
from analytics.attribution.schemas import ATTRIBUTION_SCHEMA

# (table, conversions, value, nulls, **params) -> (conversion credit, revenue credit):
# amounts are (replicates, rows) arrays, credits (replicates, keys); bootstrap passes many
# replicates at once, a plain model run passes one.
BatchModel = Callable[..., tuple[np.ndarray, np.ndarray]]

RELATIVE_TOLERANCE = 1e-9


def check_total(credited: np.ndarray, total: np.ndarray | float, *, what: str) -> None:
    # every model must hand out exactly the observed total: a miss is a bug, not data
    credited_sum = np.asarray(credited).sum(axis=-1)
    total = np.asarray(total, dtype=np.float64)
    scale = np.maximum(np.abs(total), 1.0)
    if not np.all(np.abs(credited_sum - total) <= RELATIVE_TOLERANCE * scale):
        raise ArithmeticError(f"attributed {what} {credited_sum} do not sum to the total {total}")


def attribution_frame(
    keys: Sequence[str],
    conversions: np.ndarray,
    revenue: np.ndarray,
    *,
    total_conversions: float,
    total_revenue: float,
) -> pl.DataFrame:
    check_total(conversions, total_conversions, what="conversions")
    check_total(revenue, total_revenue, what="revenue")
    share = conversions / total_conversions if total_conversions > 0 else None
    return pl.DataFrame(
        {
            "key": list(keys),
            "conversions": conversions,
            "revenue": revenue,
            "share": share if share is not None else [None] * len(keys),
        },
        schema=ATTRIBUTION_SCHEMA,
    )


def run_model(batch: BatchModel, table: PathTable, **params: object) -> pl.DataFrame:
    conversions, revenue = batch(
        table, table.conversions[None], table.value[None], table.nulls[None], **params
    )
    return attribution_frame(
        table.keys,
        conversions[0],
        revenue[0],
        total_conversions=float(table.conversions.sum()),
        total_revenue=float(table.value.sum()),
    )
