"""Drift: the population stability index of each feature between the training
population and a later scoring population.

PSI = Σ (share_now − share_then) · ln(share_now / share_then) over the training
population's decile bins (plus one bin for nulls). Rule of thumb, used for the warning:
below 0.1 stable, 0.1–0.25 moderate shift, above 0.25 a shift worth retraining for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

BINS = 10
WARN_PSI = 0.25
# Shares are floored here so an empty bin does not make the index infinite.
_FLOOR = 1e-4


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    nulls = np.isnan(values)
    index = np.searchsorted(edges, values[~nulls], side="right")
    counts = np.bincount(index, minlength=edges.size + 1).astype(np.float64)
    counts = np.r_[counts, nulls.sum()]
    shares: np.ndarray = counts / max(values.size, 1)
    return shares


def reference_bins(frame: pl.DataFrame, features: Sequence[str]) -> dict[str, Any]:
    """Each feature's inner decile edges and the population's share in each bin (the
    last share is the nulls'), to be stored with the model."""
    result: dict[str, Any] = {}
    for name in features:
        values = frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        present = values[~np.isnan(values)]
        edges = (np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1]))
                 if present.size else np.array([]))
        result[name] = {"edges": edges.tolist(), "shares": _shares(values, edges).tolist()}
    return result


def population_stability(reference: dict[str, Any], frame: pl.DataFrame) -> dict[str, float]:
    """PSI of each feature of ``reference`` (from ``reference_bins``) in ``frame``."""
    result = {}
    for name, bins in reference.items():
        values = frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        edges = np.asarray(bins["edges"], dtype=np.float64)
        then = np.maximum(np.asarray(bins["shares"], dtype=np.float64), _FLOOR)
        now = np.maximum(_shares(values, edges), _FLOOR)
        result[name] = float(((now - then) * np.log(now / then)).sum())
    return result


def drifted(stability: dict[str, float], threshold: float = WARN_PSI) -> list[str]:
    """Features whose PSI exceeds ``threshold``, worst first."""
    return sorted((n for n, v in stability.items() if v > threshold),
                  key=lambda n: -stability[n])
