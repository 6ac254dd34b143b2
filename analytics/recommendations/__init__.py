"""Product recommendations: item-item co-occurrence, category affinity, trending and
popularity, each recommendation with its reason; offline evaluation on a time split.
Pure: frames in, frames and dataclasses out."""

from analytics.recommendations.evaluation import Evaluation, MethodScores, evaluate
from analytics.recommendations.interactions import (
    INTERACTIONS_SCHEMA,
    KIND_WEIGHTS,
    ORDERS_SCHEMA,
    PRODUCTS_SCHEMA,
    customer_weights,
    order_items,
)
from analytics.recommendations.recommend import (
    RECOMMENDATIONS_SCHEMA,
    Model,
    fit,
    popular,
    recommend,
)

__all__ = ["INTERACTIONS_SCHEMA", "KIND_WEIGHTS", "ORDERS_SCHEMA", "PRODUCTS_SCHEMA",
           "RECOMMENDATIONS_SCHEMA", "Evaluation", "MethodScores", "Model", "customer_weights",
           "evaluate", "fit", "order_items", "popular", "recommend"]
