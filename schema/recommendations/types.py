"""Recommended products with their scores and reasons, and the offline evaluation."""

from __future__ import annotations

from datetime import datetime

import strawberry

from analytics.recommendations import Evaluation as EvaluationResult
from server.runners.recommendations import Recommendation as RecommendationRow


@strawberry.type(description="A product in the catalog.")
class RecommendedProduct:
    id: strawberry.ID
    name: str
    category: str


@strawberry.type(description="One recommended product: rank 1 is the best; reason says "
                             "why (bought with X, viewed with X, popular in Y, trending in "
                             "Y, popular overall) and source which signal gave it.")
class ProductRecommendation:
    rank: int
    product: RecommendedProduct
    score: float
    source: str
    reason: str

    @classmethod
    def from_row(cls, row: RecommendationRow) -> ProductRecommendation:
        return cls(rank=row.rank, score=row.score, source=row.source, reason=row.reason,
                   product=RecommendedProduct(id=strawberry.ID(row.product_id),
                                              name=row.name, category=row.category))


@strawberry.type(description="Hit rate@k and recall@k of one method, by k.")
class RecommendationScores:
    method: str
    ks: list[int]
    hit_rate: list[float]
    recall: list[float]


@strawberry.type(description="The recommender against popularity on a time split: "
                             "fitted before split, scored on new purchases in the "
                             "horizon after it.")
class RecommendationEvaluation:
    split: datetime
    horizon_days: int
    customers: int
    train_interactions: int
    recommender: RecommendationScores
    popularity: RecommendationScores

    @classmethod
    def from_result(cls, result: EvaluationResult) -> RecommendationEvaluation:
        def scores(method: str, hit: tuple[float, ...],
                   recall: tuple[float, ...]) -> RecommendationScores:
            return RecommendationScores(method=method, ks=list(result.ks), hit_rate=list(hit),
                                        recall=list(recall))
        return cls(split=result.split, horizon_days=result.horizon_days,
                   customers=result.customers, train_interactions=result.train_interactions,
                   recommender=scores("recommender", result.recommender.hit_rate,
                                      result.recommender.recall),
                   popularity=scores("popularity", result.popularity.hit_rate,
                                     result.popularity.recall))
