"""Recommendations for a customer and their offline evaluation. Needs the viewer role."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.recommendations.types import ProductRecommendation, RecommendationEvaluation
from server.runners import recommendations as runner


async def customer_recommendations(info: Info[Context, Any], customer_id: str,
                                   limit: int) -> list[ProductRecommendation]:
    """Up to ``limit`` products for the customer, best first (``recommendations`` and
    ``Customer.recommendations``)."""
    rows = await asyncio.to_thread(runner.for_customer, info.context.engine, customer_id,
                                   limit=limit)
    return [ProductRecommendation.from_row(row) for row in rows]


@strawberry.type
class RecommendationQuery:
    @strawberry.field(description="Up to limit (1-50) products for the customer, best "
                                  "first, each with its reason; items the customer bought "
                                  "are left out, and a customer without history gets "
                                  "popular items.")
    async def recommendations(self, info: Info[Context, Any], customer_id: strawberry.ID,
                              limit: int = 10) -> list[ProductRecommendation]:
        require(info, "viewer")
        return await customer_recommendations(info, str(customer_id), limit)

    @strawberry.field(description="Hit rate@5/10 and recall@5/10 of the recommender and "
                                  "of popularity on the last horizonDays of the data.")
    async def recommendation_evaluation(self, info: Info[Context, Any],
                                        horizon_days: int = 30) -> RecommendationEvaluation:
        require(info, "viewer")
        result = await asyncio.to_thread(runner.run_evaluation, info.context.engine,
                                         horizon_days=horizon_days)
        return RecommendationEvaluation.from_result(result)
