"""Model registry reads and customer scores. Every read needs the viewer role."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.errors import NotFound
from schema.predictions.subject_types import (
    AllocateVariantsResult,
    InvalidSubjectLines,
    OptimisationReport,
    OptimizeCampaignResult,
    ScoreSubjectLinesResult,
    SubjectLineScores,
    VariantAllocation,
    VariantAllocations,
)
from schema.predictions.types import (
    CustomerScore,
    Explanation,
    FeatureDrift,
    ModelKind,
    ModelVersion,
    SendTimeOverview,
)
from server.runners import optimisation, send_time, subject_lines
from server.runners import predictions as runner


def _version_id(id: strawberry.ID) -> int | None:
    return int(id) if str(id).isdigit() else None


@strawberry.type
class PredictionQuery:
    @strawberry.field(description="Trained model versions, newest first.")
    async def models(self, info: Info[Context, Any],
                     kind: ModelKind | None = None) -> list[ModelVersion]:
        require(info, "viewer")
        rows = await asyncio.to_thread(runner.list_versions, info.context.engine,
                                       None if kind is None else kind.value)
        return [ModelVersion.from_row(row) for row in rows]

    @strawberry.field(description="One model version, or null when there is no such id.")
    async def model(self, info: Info[Context, Any], id: strawberry.ID) -> ModelVersion | None:
        require(info, "viewer")
        version_id = _version_id(id)
        if version_id is None:
            return None
        row = await asyncio.to_thread(runner.get_version, info.context.engine, version_id)
        return None if row is None else ModelVersion.from_row(row)

    @strawberry.field(description="Population stability per feature between a version's "
                                  "training data and its latest scoring, worst first.")
    async def model_drift(self, info: Info[Context, Any],
                          id: strawberry.ID) -> list[FeatureDrift]:
        require(info, "viewer")
        version_id = _version_id(id)
        if version_id is None:
            return []
        drift = await asyncio.to_thread(runner.latest_drift, info.context.engine, version_id)
        return [FeatureDrift(feature=name, psi=psi, drifted=psi > 0.25)
                for name, psi in sorted(drift.items(), key=lambda item: -item[1])]

    @strawberry.field(description="Every customer's best send time, summarised "
                                  "(recompute with computeSendTimes or `mailscope score "
                                  "send-time`).")
    async def send_times(self, info: Info[Context, Any]) -> SendTimeOverview:
        require(info, "viewer")
        result = await asyncio.to_thread(send_time.send_time_overview, info.context.engine)
        return SendTimeOverview.from_result(result)

    @strawberry.field(description="Score alternative subject lines with the active open "
                                  "model (or a documented fallback) for a campaign's "
                                  "recipients, or for a draft (no campaignId) sent at "
                                  "sendAt to recently mailed customers.")
    async def score_subject_lines(self, info: Info[Context, Any], subjects: list[str],
                                  campaign_id: strawberry.ID | None = None,
                                  send_at: datetime | None = None) -> ScoreSubjectLinesResult:
        require(info, "viewer")
        try:
            result = await asyncio.to_thread(
                subject_lines.score_subject_lines, info.context.engine, subjects,
                campaign_id=None if campaign_id is None else str(campaign_id),
                send_at=send_at)
        except LookupError as error:
            return NotFound(id=campaign_id or strawberry.ID(""), message=str(error))
        except ValueError as error:
            return InvalidSubjectLines(message=str(error))
        return SubjectLineScores.from_result(result)

    @strawberry.field(description="Thompson-sampling shares of the next sends across a "
                                  "campaign's variants from their observed opens "
                                  "(Beta posteriors, seeded).")
    async def allocate_variants(self, info: Info[Context, Any],
                                campaign_id: strawberry.ID) -> AllocateVariantsResult:
        require(info, "viewer")
        try:
            result = await asyncio.to_thread(subject_lines.allocate_variants,
                                             info.context.engine, str(campaign_id))
        except LookupError as error:
            return NotFound(id=campaign_id, message=str(error))
        except ValueError as error:
            return InvalidSubjectLines(message=str(error))
        return VariantAllocations(campaign_id=campaign_id,
                                  variants=[VariantAllocation.from_result(row)
                                            for row in result])

    @strawberry.field(description="The optimisation report of a campaign: recommended "
                                  "send hour, best subject among the alternatives and "
                                  "the campaign's own, and whether to personalise.")
    async def optimize_campaign(self, info: Info[Context, Any], campaign_id: strawberry.ID,
                                subjects: list[str]) -> OptimizeCampaignResult:
        require(info, "viewer")
        try:
            result = await asyncio.to_thread(optimisation.optimize_campaign,
                                             info.context.engine, str(campaign_id),
                                             subjects)
        except LookupError as error:
            return NotFound(id=campaign_id, message=str(error))
        except ValueError as error:
            return InvalidSubjectLines(message=str(error))
        return OptimisationReport.from_result(result)


async def customer_scores(info: Info[Context, Any], customer_id: str) -> list[CustomerScore]:
    """The customer's published scores (``Customer.scores``)."""
    views = await asyncio.to_thread(runner.customer_scores, info.context.engine, customer_id)
    return [CustomerScore.from_view(view) for view in views]


async def customer_explanation(info: Info[Context, Any], customer_id: str,
                               kind: ModelKind) -> Explanation | None:
    """The active ``kind`` model's explanation of the customer (``Customer.explain``)."""
    result = await asyncio.to_thread(runner.explain_customer, info.context.engine,
                                     customer_id, kind.value)
    return None if result is None else Explanation.from_result(kind.value, result)
