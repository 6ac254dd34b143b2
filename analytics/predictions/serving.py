"""Applying a stored artifact: predictions for many customers, explanations for one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from analytics.predictions.bgnbd import BgNbdParams, GammaGammaParams
from analytics.predictions.churn import BaselineRates
from analytics.predictions.lifetime import LifetimeForecast, bgnbd_forecast


def checksum(artifact: bytes) -> str:
    """The artifact's SHA-256, hex: stored beside it and checked before it is applied."""
    return hashlib.sha256(artifact).hexdigest()


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: float | None
    contribution: float


@dataclass(frozen=True)
class Explanation:
    """Why a model scored a customer as it did: ``base_value`` plus every contribution
    is the customer's log-odds (churn) or predicted revenue (ltv)."""

    served: str
    base_value: float
    prediction: float
    contributions: tuple[Contribution, ...]


def _logit(p: float) -> float:
    q = min(max(p, 1e-12), 1 - 1e-12)
    return float(np.log(q / (1 - q)))


class ServedModel:
    """A loaded artifact (see ``churn.train_churn``)."""

    def __init__(self, artifact: bytes) -> None:
        body: dict[str, Any] = json.loads(artifact)
        self.kind: str = body["kind"]
        self.served: str = body["served"]
        self.features: list[str] = list(body["features"])
        self.booster = lgb.Booster(model_str=body["booster"])
        baseline = body["baseline"]
        self.baseline_feature: str = baseline["feature"]
        self.baseline = BaselineRates(edges=tuple(baseline["edges"]),
                                      rates=tuple(baseline["rates"]))

    def _matrix(self, frame: pl.DataFrame) -> np.ndarray:
        missing = [name for name in self.features if name not in frame.columns]
        if missing:
            raise ValueError(f"features {', '.join(missing)} are missing; build the frame "
                             "with customer_features")
        return frame.select(self.features).to_numpy().astype(np.float64)

    def predict(self, frame: pl.DataFrame, *, num_threads: int = 1) -> np.ndarray:
        """The served model's probability for each row of ``frame``."""
        if self.served == "baseline":
            values = frame[self.baseline_feature].fill_null(0.0).to_numpy()
            return self.baseline.predict(values.astype(np.float64))
        return np.asarray(self.booster.predict(self._matrix(frame), num_threads=num_threads))

    def explain(self, row: pl.DataFrame, *, top: int = 10) -> Explanation:
        """Contributions for the one customer in ``row``: SHAP values from LightGBM's
        ``pred_contrib`` (costly per row, hence one customer at a time), or the baseline's
        single feature when the baseline is served. Largest effects first."""
        if row.height != 1:
            raise ValueError(f"explain takes one customer's features, got {row.height} rows")
        if self.served == "baseline":
            value = row[self.baseline_feature][0]
            p = float(self.predict(row)[0])
            rates = np.asarray(self.baseline.rates)
            base = _logit(float(rates.mean()))
            return Explanation(served=self.served, base_value=base, prediction=p,
                               contributions=(Contribution(self.baseline_feature, value,
                                                           _logit(p) - base),))
        matrix = self._matrix(row)
        shap = np.asarray(self.booster.predict(matrix, pred_contrib=True))[0]
        p = float(np.asarray(self.booster.predict(matrix))[0])
        values = row.select(self.features).row(0)
        contributions = sorted(
            (Contribution(name, None if v is None else float(v), float(c))
             for name, v, c in zip(self.features, values, shap[:-1], strict=True)),
            key=lambda item: -abs(item.contribution))
        return Explanation(served=self.served, base_value=float(shap[-1]), prediction=p,
                           contributions=tuple(contributions[:top]))


class LifetimeModel:
    """A loaded lifetime-value artifact (see ``lifetime.train_lifetime``)."""

    def __init__(self, artifact: bytes) -> None:
        body: dict[str, Any] = json.loads(artifact)
        self.kind: str = body["kind"]
        self.served: str = body["served"]
        self.features: list[str] = list(body["features"])
        self.horizon_days: float = float(body["horizon_days"])
        self.booster = lgb.Booster(model_str=body["booster"])
        self.bgnbd = BgNbdParams(**body["bgnbd"])
        self.spend = GammaGammaParams(**body["gamma_gamma"])

    def forecast(self, features: pl.DataFrame, histories: pl.DataFrame, *,
                 num_threads: int = 1) -> LifetimeForecast:
        """Expected orders and P(alive) from BG/NBD, and the served model's revenue, for
        the customers of ``features`` (``histories`` from ``order_histories``, same order)."""
        base = bgnbd_forecast(self.bgnbd, self.spend, histories, self.horizon_days)
        if self.served == "baseline" or features.is_empty():
            return base
        matrix = features.select(self.features).to_numpy().astype(np.float64)
        value = np.clip(np.asarray(self.booster.predict(matrix, num_threads=num_threads)),
                        0, None)
        return LifetimeForecast(expected_orders=base.expected_orders, p_alive=base.p_alive,
                                predicted_value=value)

    def explain(self, row: pl.DataFrame, *, top: int = 10) -> Explanation:
        """LightGBM's SHAP contributions to the customer's predicted revenue (BG/NBD's
        forecast follows from the order count and timing alone)."""
        if row.height != 1:
            raise ValueError(f"explain takes one customer's features, got {row.height} rows")
        matrix = row.select(self.features).to_numpy().astype(np.float64)
        shap = np.asarray(self.booster.predict(matrix, pred_contrib=True))[0]
        values = row.select(self.features).row(0)
        contributions = sorted(
            (Contribution(name, None if v is None else float(v), float(c))
             for name, v, c in zip(self.features, values, shap[:-1], strict=True)),
            key=lambda item: -abs(item.contribution))
        return Explanation(served="lightgbm", base_value=float(shap[-1]),
                           prediction=float(shap.sum()),
                           contributions=tuple(contributions[:top]))


def load_model(artifact: bytes) -> ServedModel | LifetimeModel:
    """The model an artifact holds, by its kind."""
    kind = json.loads(artifact)["kind"]
    return LifetimeModel(artifact) if kind == "ltv" else ServedModel(artifact)
