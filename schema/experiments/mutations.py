"""Experiment writes: settings and the winner. Needs analyst. The policy (which settings
are acceptable, when the data support a winner) lives in the experiments runner."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, overload

import strawberry
from strawberry.types import Info

from analytics.experiments.campaign import Problem, SettingsChange, WinnerRefusal
from schema.context import Context, require
from schema.errors import NotFound
from schema.experiments.inputs import CreateExperimentInput, InvalidInput
from schema.experiments.results import Experiment, WinnerDeclared, WinnerRefused
from schema.experiments.types import ExperimentVerdict
from schema.jobs.types import Job
from server.db import models
from server.runners import experiments as runner

CreateExperimentResult = Annotated[Experiment | InvalidInput | NotFound,
                                   strawberry.union("CreateExperimentResult")]
DeclareWinnerResult = Annotated[WinnerDeclared | WinnerRefused | InvalidInput | NotFound,
                                strawberry.union("DeclareWinnerResult")]


def settings_change(input: CreateExperimentInput) -> SettingsChange:
    """The runner's parameters from the GraphQL input."""
    return SettingsChange(
        primary_metric=input.primary_metric.value, method=input.method.value,
        alpha=input.alpha, correction=input.correction.value,
        minimum_effect=input.minimum_effect, effect_scale=input.effect_scale.value,
        guardrails=None if input.guardrails is None
        else tuple(g.value for g in input.guardrails),
        planned_weights=None if not input.planned_weights
        else tuple((w.variant, w.weight) for w in input.planned_weights),
        control=input.control, horizon_days=input.horizon_days,
        webhook_url=input.webhook_url)


@overload
def refusal_of(outcome: Problem | runner.Missing) -> InvalidInput | NotFound: ...


@overload
def refusal_of(
    outcome: Problem | runner.Missing | WinnerRefusal,
) -> InvalidInput | NotFound | WinnerRefused: ...


def refusal_of(
    outcome: Problem | runner.Missing | WinnerRefusal,
) -> InvalidInput | NotFound | WinnerRefused:
    """The GraphQL error type of a runner's refusal."""
    if isinstance(outcome, Problem):
        return InvalidInput(field=outcome.field, message=outcome.message)
    if isinstance(outcome, runner.Missing):
        return NotFound(id=strawberry.ID(outcome.id), message=outcome.message)
    verdict = None if outcome.analysis is None else ExperimentVerdict.of(outcome.analysis.verdict)
    return WinnerRefused(message=outcome.message, verdict=verdict,
                         srm_mismatch=outcome.srm_mismatch)


@strawberry.type
class ExperimentMutation:
    @strawberry.mutation(description="Save a campaign's experiment settings. Needs analyst.")
    async def create_experiment(self, info: Info[Context, Any],
                                input: CreateExperimentInput) -> CreateExperimentResult:
        require(info, "analyst")
        outcome = await asyncio.to_thread(runner.save_settings, info.context.engine,
                                          str(input.campaign_id), settings_change(input))
        if isinstance(outcome, models.Experiment):
            return Experiment.from_row(outcome)
        return refusal_of(outcome)

    @strawberry.mutation(description="Record the winner; refused while SRM stands or the "
                                     "verdict names no (other) winner unless force with a "
                                     "reason. Posts the webhook. Needs analyst.")
    async def declare_winner(self, info: Info[Context, Any], campaign_id: strawberry.ID,
                             variant: str, force: bool = False,
                             reason: str | None = None) -> DeclareWinnerResult:
        user = require(info, "analyst")
        engine = info.context.engine
        outcome = await asyncio.to_thread(runner.declare_winner, engine, str(campaign_id),
                                          variant, force=force, reason=reason,
                                          declared_by=user.name)
        if not isinstance(outcome, models.Experiment):
            return refusal_of(outcome)
        job_row, problem = None, None
        if outcome.webhook_url:
            job_row, problem = await asyncio.to_thread(runner.queue_winner_webhook, engine,
                                                       outcome.id or 0)
        row = await asyncio.to_thread(runner.get_experiment, engine, outcome.id or 0)
        return WinnerDeclared(experiment=Experiment.from_row(row or outcome),
                              webhook_job=None if job_row is None else Job.from_row(job_row),
                              webhook_problem=problem)
