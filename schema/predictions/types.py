"""Model versions, their holdout metrics, customer scores and explanations."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from analytics.predictions import Explanation as ExplanationResult
from server.db import models
from server.runners.predictions import CustomerScoreView


@strawberry.enum(description="What a model predicts. CHURN: P(no engagement and no "
                             "purchase over the next N days). LTV: expected orders and "
                             "revenue over the next N days and P(still active). OPEN, "
                             "CLICK: P(a person opens / clicks) for a (customer, campaign) "
                             "pair.")
class ModelKind(Enum):
    CHURN = "churn"
    LTV = "ltv"
    OPEN = "open"
    CLICK = "click"


@strawberry.enum(description="Which model a version serves.")
class ServedModel(Enum):
    LIGHTGBM = "lightgbm"
    BASELINE = "baseline"


@strawberry.type(description="Holdout metrics of a probability forecast.")
class ClassifierMetrics:
    auc: float
    pr_auc: float
    log_loss: float
    brier: float
    ece: float = strawberry.field(description="Expected calibration error.")


@strawberry.type(description="The LightGBM model's and the baseline's holdout metrics.")
class ModelMetrics:
    model: ClassifierMetrics
    baseline: ClassifierMetrics
    holdout_customers: int
    positive_rate: float = strawberry.field(description="Share of holdout customers with "
                                                        "the outcome (e.g. churned).")


@strawberry.type(description="Holdout errors of a revenue forecast.")
class RegressionMetrics:
    mae: float
    rmse: float
    msle: float
    correlation: float
    bias: float = strawberry.field(description="Σpredicted / Σactual − 1.")


@strawberry.type(description="LightGBM's and BG/NBD + Gamma-Gamma's holdout errors on "
                             "the revenue over the horizon, and the fitted parameters.")
class LifetimeMetrics:
    model: RegressionMetrics
    baseline: RegressionMetrics
    holdout_customers: int
    bgnbd_r: float
    bgnbd_alpha: float
    bgnbd_a: float
    bgnbd_b: float
    gamma_gamma_p: float
    gamma_gamma_q: float
    gamma_gamma_gamma: float


@strawberry.type(description="Holdout forecasts in [lower, upper): their mean and what "
                             "happened.")
class CalibrationBin:
    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


@strawberry.type
class ModelCalibration:
    model: list[CalibrationBin]
    baseline: list[CalibrationBin]


@strawberry.type(description="A feature's share of the model's total split gain.")
class FeatureImportance:
    feature: str
    share: float


@strawberry.type(description="Population stability of a feature between training and "
                             "the latest scoring.")
class FeatureDrift:
    feature: str
    psi: float
    drifted: bool = strawberry.field(description="PSI above 0.25: consider retraining.")


def _classifier(values: dict[str, float]) -> ClassifierMetrics:
    return ClassifierMetrics(auc=values["auc"], pr_auc=values["pr_auc"],
                             log_loss=values["log_loss"], brier=values["brier"],
                             ece=values["ece"])


def _bins(rows: list[dict[str, float]]) -> list[CalibrationBin]:
    return [CalibrationBin(lower=r["lower"], upper=r["upper"], count=int(r["count"]),
                           mean_predicted=r["mean_predicted"],
                           observed_rate=r["observed_rate"]) for r in rows]


def _classifier_metrics(metrics: dict[str, Any]) -> ModelMetrics | None:
    if metrics.get("type") != "classifier":
        return None
    return ModelMetrics(model=_classifier(metrics["model"]),
                        baseline=_classifier(metrics["baseline"]),
                        holdout_customers=int(metrics["model"]["count"]),
                        positive_rate=metrics["model"]["positive_rate"])


def _regression(values: dict[str, float]) -> RegressionMetrics:
    return RegressionMetrics(mae=values["mae"], rmse=values["rmse"], msle=values["msle"],
                             correlation=values["correlation"], bias=values["bias"])


def _lifetime_metrics(metrics: dict[str, Any]) -> LifetimeMetrics | None:
    if metrics.get("type") != "regression":
        return None
    bgnbd, spend = metrics["bgnbd"], metrics["gamma_gamma"]
    return LifetimeMetrics(model=_regression(metrics["model"]),
                           baseline=_regression(metrics["baseline"]),
                           holdout_customers=int(metrics["count"]), bgnbd_r=bgnbd["r"],
                           bgnbd_alpha=bgnbd["alpha"], bgnbd_a=bgnbd["a"],
                           bgnbd_b=bgnbd["b"], gamma_gamma_p=spend["p"],
                           gamma_gamma_q=spend["q"], gamma_gamma_gamma=spend["gamma"])


@strawberry.type(description="A trained model version in the registry.")
class ModelVersion:
    id: strawberry.ID
    kind: ModelKind
    served: ServedModel
    reason: str = strawberry.field(description="Why the served model was chosen.")
    active: bool
    created_at: datetime
    activated_at: datetime | None
    data_from: datetime | None
    train_cutoff: datetime
    holdout_cutoff: datetime
    data_to: datetime
    horizon_days: int
    train_rows: int
    holdout_rows: int
    checksum: str = strawberry.field(description="SHA-256 of the stored artifact.")
    features: list[str]
    metrics: ModelMetrics | None = strawberry.field(
        description="Classifier metrics (CHURN); null for LTV.")
    lifetime_metrics: LifetimeMetrics | None = strawberry.field(
        description="Regression metrics and fitted parameters (LTV); null for CHURN.")
    calibration: ModelCalibration
    feature_importance: list[FeatureImportance]

    @classmethod
    def from_row(cls, row: models.ModelVersion) -> ModelVersion:
        metrics = json.loads(row.metrics)
        calibration = json.loads(row.calibration)
        importance = json.loads(row.importance)
        return cls(
            id=strawberry.ID(str(row.id)), kind=ModelKind(row.kind),
            served=ServedModel(row.served), reason=row.reason, active=row.active,
            created_at=row.created_at, activated_at=row.activated_at,
            data_from=row.data_from, train_cutoff=row.train_cutoff,
            holdout_cutoff=row.holdout_cutoff, data_to=row.data_to,
            horizon_days=row.horizon_days, train_rows=row.train_rows,
            holdout_rows=row.holdout_rows, checksum=row.checksum,
            features=list(json.loads(row.features)["names"]),
            metrics=_classifier_metrics(metrics), lifetime_metrics=_lifetime_metrics(metrics),
            calibration=ModelCalibration(model=_bins(calibration["model"]),
                                         baseline=_bins(calibration["baseline"])),
            feature_importance=[FeatureImportance(feature=name, share=share)
                                for name, share in importance.items()])


@strawberry.type(description="A customer's published score from one model version.")
class CustomerScore:
    kind: ModelKind
    model_version: strawberry.ID
    as_of: datetime = strawberry.field(description="The data the score was computed from.")
    probability: float | None
    risk_level: str | None = strawberry.field(
        description="churn: low < 0.2 <= medium < 0.5 <= high < 0.8 <= critical.")
    expected_orders: float | None = strawberry.field(
        description="ltv: expected orders over the version's horizon.")
    predicted_value: float | None = strawberry.field(
        description="ltv: expected revenue over the version's horizon.")
    p_alive: float | None = strawberry.field(
        description="ltv: probability the customer is still an active buyer.")

    @classmethod
    def from_view(cls, view: CustomerScoreView) -> CustomerScore:
        return cls(kind=ModelKind(view.kind), model_version=strawberry.ID(str(view.version_id)),
                   as_of=view.as_of, probability=view.probability, risk_level=view.risk_level,
                   expected_orders=view.expected_orders, predicted_value=view.predicted_value,
                   p_alive=view.p_alive)


@strawberry.type(description="One feature's push on the customer's log-odds.")
class FeatureContribution:
    feature: str
    value: float | None
    contribution: float


@strawberry.type(description="Why the active model scores a customer as it does: "
                             "baseValue plus the contributions is the log-odds (CHURN) or "
                             "the predicted revenue (LTV).")
class Explanation:
    kind: ModelKind
    served: ServedModel
    base_value: float
    prediction: float
    contributions: list[FeatureContribution]

    @classmethod
    def from_result(cls, kind: str, result: ExplanationResult) -> Explanation:
        return cls(kind=ModelKind(kind), served=ServedModel(result.served),
                   base_value=result.base_value, prediction=result.prediction,
                   contributions=[FeatureContribution(feature=c.feature, value=c.value,
                                                      contribution=c.contribution)
                                  for c in result.contributions])
