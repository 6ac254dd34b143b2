"""Experiment reads: a campaign's A/B test, the engine on pasted numbers, planning.
Every read needs the viewer role; the statistics and SQL run in worker threads."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.experiments.inputs import AnalyzeExperimentInput, InvalidInput, PlanExperimentInput
from schema.experiments.numbers import analyze_numbers, plan_numbers
from schema.experiments.results import AnalyzedExperiment, CampaignExperiment, ExperimentPlan
from server.runners.experiments import campaign_analysis

AnalyzeExperimentResult = Annotated[AnalyzedExperiment | InvalidInput,
                                    strawberry.union("AnalyzeExperimentResult")]
PlanExperimentResult = Annotated[ExperimentPlan | InvalidInput,
                                 strawberry.union("PlanExperimentResult")]


@strawberry.type
class ExperimentQuery:
    @strawberry.field(description="A campaign's A/B test computed from its variants and sends; "
                                  "null when the campaign does not exist.")
    async def experiment(self, info: Info[Context, Any],
                         campaign_id: strawberry.ID) -> CampaignExperiment | None:
        require(info, "viewer")
        result = await asyncio.to_thread(campaign_analysis, info.context.engine,
                                         str(campaign_id))
        return None if result is None else CampaignExperiment.of(result)

    @strawberry.field(description="The experiment engine on numbers from elsewhere.")
    async def analyze_experiment(self, info: Info[Context, Any],
                                 input: AnalyzeExperimentInput) -> AnalyzeExperimentResult:
        require(info, "viewer")
        return await asyncio.to_thread(analyze_numbers, input)

    @strawberry.field(description="Sample size, duration and the power of a running test.")
    async def plan_experiment(self, info: Info[Context, Any],
                              input: PlanExperimentInput) -> PlanExperimentResult:
        require(info, "viewer")
        return await asyncio.to_thread(plan_numbers, input)
