"""Drift: the population stability index of each feature between the training
population and a later scoring population.

PSI = Σ (share_now − share_then) · ln(share_now / share_then) over the training
population's decile bins (plus one bin for nulls). Rule of thumb, used for the warning:
below 0.1 stable, 0.1–0.25 moderate shift, above 0.25 a shift worth retraining for.

Age-aware: the reference population's features are taken at one moment (the runner
takes the end of the version's data window, where a scoring right after training
stands), the scoring population's ``elapsed_days`` later. Features that count days
back from the cutoff (``AGE_FEATURES``) grow by a day every day for a customer who does
nothing, so a list that is one ageing cohort (a store importing its past, CDNOW), or
any list between two campaigns (days since the last send), would show "drift" in ages
alone. Each such feature is therefore compared twice: as it is (right for a list whose
new signups and fresh activity keep the ages steady) and with ``elapsed_days`` taken off
every value, i.e. the population as old as the reference was (right for an ageing
cohort); the lower index counts. A real shift moves both readings: a population whose
activity stopped months before the reference's is as far from it either way.
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
# The features that count days back from the cutoff.
AGE_FEATURES: tuple[str, ...] = ("tenure_days", "recency_days", "days_since_activity",
                                 "days_since_open", "days_since_click", "days_since_send",
                                 "first_order_days")


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


def _index(bins: dict[str, Any], values: np.ndarray) -> float:
    edges = np.asarray(bins["edges"], dtype=np.float64)
    then = np.maximum(np.asarray(bins["shares"], dtype=np.float64), _FLOOR)
    now = np.maximum(_shares(values, edges), _FLOOR)
    return float(((now - then) * np.log(now / then)).sum())


def population_stability(reference: dict[str, Any], frame: pl.DataFrame, *,
                         elapsed_days: float = 0.0) -> dict[str, float]:
    """PSI of each feature of ``reference`` (from ``reference_bins``) in ``frame``,
    whose features were built ``elapsed_days`` after the reference's; each of
    ``AGE_FEATURES`` is the lower of its index as it is and with ``elapsed_days`` taken
    off its values."""
    if not np.isfinite(elapsed_days) or elapsed_days < 0:
        raise ValueError(f"elapsed_days must be a finite number >= 0, got {elapsed_days}")
    result = {}
    for name, bins in reference.items():
        values = frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        result[name] = _index(bins, values)
        if name in AGE_FEATURES and elapsed_days > 0:
            result[name] = min(result[name], _index(bins, values - elapsed_days))
    return result


def drifted(stability: dict[str, float], threshold: float = WARN_PSI) -> list[str]:
    """Features whose PSI exceeds ``threshold``, worst first."""
    return sorted((n for n, v in stability.items() if v > threshold),
                  key=lambda n: -stability[n])
