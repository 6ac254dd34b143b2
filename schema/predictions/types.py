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
from server.runners.send_time import SendTimeOverview as SendTimeOverviewResult


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


@strawberry.enum(description="What a customer's score is. CHURN and LTV come from the "
                             "active model version; SEND_TIME is the best local send hour "
                             "and weekday from the customer's own opens and clicks, shrunk "
                             "towards their segment's (no model version).")
class ScoreKind(Enum):
    CHURN = "churn"
    LTV = "ltv"
    SEND_TIME = "send_time"


@strawberry.enum(description="Where a send time came from: the customer's own history "
                             "(shrunk towards the segment's), their segment's (country) or "
                             "everyone's.")
class SendTimeSource(Enum):
    CUSTOMER = "customer"
    SEGMENT = "segment"
    GLOBAL = "global"


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
                             "the revenue over the horizon, and the served fit's "
                             "parameters (on every order up to the end of the data "
                             "window; the holdout errors come from a fit before the "
                             "holdout cutoff).")
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
    kind: ScoreKind
    model_version: strawberry.ID | None = strawberry.field(
        description="The model version (null for SEND_TIME).")
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
    best_send_hour: int | None = strawberry.field(
        default=None, description="send_time: the best hour (0-23) in the customer's "
                                  "time zone.")
    best_send_weekday: int | None = strawberry.field(
        default=None, description="send_time: the best ISO weekday, 1 = Monday.")
    send_time_source: SendTimeSource | None = strawberry.field(
        default=None, description="send_time: where the estimate came from.")
    timezone: str | None = strawberry.field(
        default=None, description="send_time: the zone of bestSendHour (UTC when the "
                                  "customer's is unknown).")

    @classmethod
    def from_view(cls, view: CustomerScoreView) -> CustomerScore:
        version = None if view.version_id is None else strawberry.ID(str(view.version_id))
        source = None if view.send_time_source is None else SendTimeSource(
            view.send_time_source)
        return cls(kind=ScoreKind(view.kind), model_version=version,
                   as_of=view.as_of, probability=view.probability, risk_level=view.risk_level,
                   expected_orders=view.expected_orders, predicted_value=view.predicted_value,
                   p_alive=view.p_alive, best_send_hour=view.best_send_hour,
                   best_send_weekday=view.best_send_weekday, send_time_source=source,
                   timezone=view.timezone)


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


@strawberry.type(description="Customers whose send time came from one source.")
class SendTimeSourceCount:
    source: SendTimeSource
    customers: int


@strawberry.type(description="Every customer's best local send hour and weekday, "
                             "summarised: customers per source, per best hour (0-23, each "
                             "in the customer's own zone) and per best ISO weekday.")
class SendTimeOverview:
    computed_at: datetime | None = strawberry.field(
        description="When the send times were computed; null before the first time.")
    customers: int
    sources: list[SendTimeSourceCount]
    customers_by_hour: list[int] = strawberry.field(
        description="24 counts: customers whose best local hour is 0, 1, ..., 23.")
    customers_by_weekday: list[int] = strawberry.field(
        description="7 counts, Monday first.")

    @classmethod
    def from_result(cls, result: SendTimeOverviewResult) -> SendTimeOverview:
        return cls(computed_at=result.computed_at, customers=result.customers,
                   sources=[SendTimeSourceCount(source=SendTimeSource(name),
                                                customers=result.sources.get(name, 0))
                            for name in ("customer", "segment", "global")],
                   customers_by_hour=result.hours, customers_by_weekday=result.weekdays)
