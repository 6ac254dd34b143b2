"""Predictive models: point-in-time features, the churn model against its baseline,
BG/NBD and Gamma-Gamma fits, holdout metrics and explanations. Pure: frames in,
dataclasses and artifacts out."""

from analytics.predictions.bgnbd import (
    BgNbdParams,
    GammaGammaParams,
    expected_order_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
)
from analytics.predictions.churn import (
    RISK_LEVELS,
    RISK_THRESHOLDS,
    TrainedModel,
    risk_levels,
    train_churn,
)
from analytics.predictions.evaluation import (
    CalibrationBin,
    ClassificationMetrics,
    classification_metrics,
)
from analytics.predictions.features import (
    CUSTOMERS_SCHEMA,
    FEATURES,
    MESSAGES_SCHEMA,
    ORDERS_SCHEMA,
    churn_labels,
    customer_features,
    shard_of,
)
from analytics.predictions.lifetime import (
    LifetimeTraining,
    RegressionMetrics,
    order_histories,
    regression_metrics,
    train_lifetime,
)
from analytics.predictions.serving import (
    Contribution,
    Explanation,
    LifetimeModel,
    ServedModel,
    checksum,
    load_model,
)
from analytics.predictions.sufficiency import (
    ChurnMinimums,
    EngagementMinimums,
    InsufficientData,
    LifetimeMinimums,
    check_churn_data,
    check_engagement_data,
    check_lifetime_data,
)

__all__ = [
    "BgNbdParams", "GammaGammaParams", "expected_order_value", "expected_purchases",
    "fit_bgnbd", "fit_gamma_gamma", "p_alive", "LifetimeTraining", "RegressionMetrics",
    "order_histories", "regression_metrics", "train_lifetime", "LifetimeModel", "load_model",
    "LifetimeMinimums", "check_lifetime_data", "EngagementMinimums", "check_engagement_data",
    "CUSTOMERS_SCHEMA", "FEATURES", "MESSAGES_SCHEMA", "ORDERS_SCHEMA", "RISK_LEVELS",
    "RISK_THRESHOLDS", "CalibrationBin", "ChurnMinimums", "ClassificationMetrics",
    "Contribution", "Explanation", "InsufficientData", "ServedModel", "TrainedModel",
    "check_churn_data", "checksum", "churn_labels", "classification_metrics",
    "customer_features", "risk_levels", "shard_of", "train_churn",
]
