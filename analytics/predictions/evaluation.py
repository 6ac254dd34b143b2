"""Holdout metrics for probability forecasts: ranking (AUC, PR-AUC), proper scores (log
loss, Brier) and calibration (bins and the expected calibration error)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

# Probabilities are clipped this far from 0 and 1 before taking logs.
EPSILON = 1e-15


@dataclass(frozen=True)
class CalibrationBin:
    """Forecasts in ``[lower, upper)``: how many, their mean, and how often it happened."""

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class ClassificationMetrics:
    auc: float
    pr_auc: float
    log_loss: float
    brier: float
    ece: float
    calibration: tuple[CalibrationBin, ...]
    count: int
    positive_rate: float

    def as_dict(self) -> dict[str, float]:
        """The scalar metrics by name."""
        return {"auc": self.auc, "pr_auc": self.pr_auc, "log_loss": self.log_loss,
                "brier": self.brier, "ece": self.ece}


def _arrays(outcomes: ArrayLike, predicted: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(outcomes, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"outcomes and predictions must be 1-D of the same length, got "
                         f"{y.shape} and {p.shape}")
    if y.size == 0:
        raise ValueError("no outcomes to evaluate; the holdout is empty")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("outcomes must be 0 or 1")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("predictions must be probabilities in [0, 1]")
    return y, p


def roc_auc(outcomes: ArrayLike, predicted: ArrayLike) -> float:
    """Area under the ROC curve (ties count half); 0.5 when only one class occurs."""
    y, p = _arrays(outcomes, predicted)
    positives = y.sum()
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return 0.5
    ranks = rankdata(p)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def average_precision(outcomes: ArrayLike, predicted: ArrayLike) -> float:
    """Area under the precision-recall curve as average precision (step-wise, tied
    forecasts taken together); 0 when nothing is positive."""
    y, p = _arrays(outcomes, predicted)
    positives = y.sum()
    if positives == 0:
        return 0.0
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    # The last index of each run of equal forecasts: thresholds fall between runs.
    ends = np.r_[np.flatnonzero(np.diff(p_sorted)), y.size - 1]
    hits = np.cumsum(y_sorted)[ends]
    precision = hits / (ends + 1)
    recall_steps = np.diff(np.r_[0.0, hits]) / positives
    return float((precision * recall_steps).sum())


def log_loss(outcomes: ArrayLike, predicted: ArrayLike) -> float:
    y, p = _arrays(outcomes, predicted)
    q = np.clip(p, EPSILON, 1 - EPSILON)
    return float(-(y * np.log(q) + (1 - y) * np.log(1 - q)).mean())


def brier(outcomes: ArrayLike, predicted: ArrayLike) -> float:
    y, p = _arrays(outcomes, predicted)
    return float(((p - y) ** 2).mean())


def calibration_bins(outcomes: ArrayLike, predicted: ArrayLike,
                     bins: int = 10) -> tuple[CalibrationBin, ...]:
    """Equal-width bins over [0, 1] (the last one closed); empty bins are left out."""
    y, p = _arrays(outcomes, predicted)
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    result = []
    for b in range(bins):
        inside = index == b
        count = int(inside.sum())
        if count:
            result.append(CalibrationBin(lower=b / bins, upper=(b + 1) / bins, count=count,
                                         mean_predicted=float(p[inside].mean()),
                                         observed_rate=float(y[inside].mean())))
    return tuple(result)


def expected_calibration_error(bins: tuple[CalibrationBin, ...]) -> float:
    """The count-weighted mean gap between forecast and outcome over ``bins``."""
    total = sum(b.count for b in bins)
    if total == 0:
        return 0.0
    return float(sum(b.count * abs(b.mean_predicted - b.observed_rate) for b in bins) / total)


def classification_metrics(outcomes: ArrayLike, predicted: ArrayLike,
                           bins: int = 10) -> ClassificationMetrics:
    """Every classifier metric of ``predicted`` probabilities against 0/1 ``outcomes``."""
    y, p = _arrays(outcomes, predicted)
    calibration = calibration_bins(y, p, bins)
    return ClassificationMetrics(
        auc=roc_auc(y, p), pr_auc=average_precision(y, p), log_loss=log_loss(y, p),
        brier=brier(y, p), ece=expected_calibration_error(calibration),
        calibration=calibration, count=int(y.size), positive_rate=float(y.mean()))
