"""Experiment fields: a campaign's A/B test, the engine on pasted numbers, planning,
and the writes (settings, winner). Reads need viewer, writes analyst; the statistics
and SQL run in worker threads.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from sqlmodel import Session
from strawberry.types import Info

from schema.context import Context, in_session, require
from schema.experiment_analyze import analyze_numbers, plan_numbers
from schema.experiment_campaign import (
    GUARDRAIL_METRICS,
    METRICS,
    PRIMARY_METRICS,
    CampaignAnalysis,
    analyze_campaign,
    load_campaign,
)
from schema.experiment_inputs import (
    AnalyzeExperimentInput,
    CreateExperimentInput,
    InvalidInput,
    PlanExperimentInput,
)
from schema.experiment_results import (
    AnalyzedExperiment,
    CampaignExperiment,
    Experiment,
    ExperimentPlan,
    WinnerDeclared,
    WinnerRefused,
)
from schema.experiment_types import ExperimentVerdict, finite
from schema.types import Job, NotFound
from server.db import models
from server.db.repository import experiments as repository
from server.db.repository.jobs import get_job_run

log = logging.getLogger(__name__)

AnalyzeExperimentResult = Annotated[AnalyzedExperiment | InvalidInput,
                                    strawberry.union("AnalyzeExperimentResult")]
PlanExperimentResult = Annotated[ExperimentPlan | InvalidInput,
                                 strawberry.union("PlanExperimentResult")]
CreateExperimentResult = Annotated[Experiment | InvalidInput | NotFound,
                                   strawberry.union("CreateExperimentResult")]
DeclareWinnerResult = Annotated[WinnerDeclared | WinnerRefused | InvalidInput | NotFound,
                                strawberry.union("DeclareWinnerResult")]
REASON_MAX = 2000


def _campaign_result(engine: Any, campaign_id: str) -> CampaignAnalysis | None:
    with Session(engine, expire_on_commit=False) as session:
        data = load_campaign(session, campaign_id)
    return None if data is None else analyze_campaign(data, now=datetime.now(UTC))


def _not_found(campaign_id: str) -> NotFound:
    return NotFound(id=strawberry.ID(campaign_id),
                    message=f"No campaign has id {campaign_id!r}; check the id on the "
                            "campaigns page.")


@strawberry.type
class ExperimentQuery:
    @strawberry.field(description="A campaign's A/B test computed from its variants and sends; "
                                  "null when the campaign does not exist.")
    async def experiment(self, info: Info[Context, Any],
                         campaign_id: strawberry.ID) -> CampaignExperiment | None:
        require(info, "viewer")
        result = await asyncio.to_thread(_campaign_result, info.context.engine, str(campaign_id))
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


def _settings_problem(data: Any, input: CreateExperimentInput) -> InvalidInput | None:
    metric = input.primary_metric.value
    if metric not in PRIMARY_METRICS:
        allowed = ", ".join(m.upper() for m in PRIMARY_METRICS)
        return InvalidInput(field="primaryMetric", message=(
            f"primaryMetric {metric.upper()} cannot decide a test (higher must be better and "
            f"the denominator fixed): use one of {allowed}"))
    if input.method.value == "bayesian" and METRICS[metric].kind != "proportion":
        return InvalidInput(field="method", message=(
            "method BAYESIAN supports rates only: use FIXED or SEQUENTIAL for "
            "REVENUE_PER_RECIPIENT"))
    if not 0 < input.alpha < 1:
        return InvalidInput(field="alpha", message=(
            f"alpha={input.alpha} is not a probability: use a number between 0 and 1, such "
            "as 0.05"))
    if not input.minimum_effect >= 0:
        return InvalidInput(field="minimumEffect", message=(
            f"minimumEffect={input.minimum_effect} is negative: give the smallest change "
            "worth shipping as a number ≥ 0"))
    for guardrail in input.guardrails or []:
        if guardrail.value not in GUARDRAIL_METRICS:
            return InvalidInput(field="guardrails", message=(
                f"guardrails: {guardrail.name} is not a rate where higher is worse; use "
                "UNSUBSCRIBE_RATE and/or COMPLAINT_RATE"))
    names = [v.variant_id for v in data.planned]
    for i, weight in enumerate(input.planned_weights or []):
        if weight.variant not in names:
            return InvalidInput(field=f"plannedWeights[{i}].variant", message=(
                f"plannedWeights[{i}].variant='{weight.variant}' is not a variant of the "
                f"campaign: use one of {', '.join(names) or '(none yet)'}"))
        if not 0 < weight.weight < float("inf"):
            return InvalidInput(field=f"plannedWeights[{i}].weight", message=(
                f"plannedWeights[{i}].weight={weight.weight} is not a planned share: use a "
                "positive number such as 0.5"))
    if input.control is not None and input.control not in names:
        return InvalidInput(field="control", message=(
            f"control='{input.control}' is not a variant of the campaign: use one of "
            f"{', '.join(names) or '(none yet)'}"))
    if input.horizon_days is not None and not 0 < input.horizon_days <= 365:
        return InvalidInput(field="horizonDays", message=(
            f"horizonDays={input.horizon_days} is out of range: use 1 to 365 days, or null "
            "for no horizon"))
    if input.webhook_url:
        problem = models.webhook_url_problem(input.webhook_url)
        if problem:
            return InvalidInput(field="webhookUrl", message=f"webhookUrl {problem}")
    return None


def _create(engine: Any, input: CreateExperimentInput) -> Experiment | InvalidInput | NotFound:
    campaign_id = str(input.campaign_id)
    with Session(engine, expire_on_commit=False) as session:
        data = load_campaign(session, campaign_id)
        if data is None:
            return _not_found(campaign_id)
        problem = _settings_problem(data, input)
        if problem is not None:
            return problem
        if data.experiment is not None and data.experiment.status == "decided":
            return InvalidInput(field="campaignId", message=(
                f"The experiment of campaign {campaign_id!r} is decided (winner "
                f"'{data.experiment.winner_variant}'); its settings are final. Run a new "
                "campaign to test again."))
        guardrails = [g.value for g in input.guardrails] if input.guardrails is not None \
            else list(models.DEFAULT_GUARDRAILS)
        weights = None if not input.planned_weights else json.dumps(
            {w.variant: w.weight for w in input.planned_weights}, sort_keys=True)
        row = repository.save_experiment(session=session, experiment_in=models.ExperimentCreate(
            campaign_id=campaign_id, primary_metric=input.primary_metric.value,
            method=input.method.value, alpha=input.alpha, correction=input.correction.value,
            minimum_effect=input.minimum_effect, effect_scale=input.effect_scale.value,
            guardrails=json.dumps(guardrails), planned_weights=weights,
            control_variant=input.control, horizon_days=input.horizon_days,
            webhook_url=input.webhook_url or None))
        session.commit()
        return Experiment.from_row(row)


def _refusal(result: CampaignAnalysis, variant: str) -> WinnerRefused | None:
    """Why the data do not support ``variant`` as the winner; None when they do."""
    analysis = result.analysis
    if analysis is None:
        return WinnerRefused(message=f"No verdict yet: {result.problem} Declare with force "
                             "and a reason to override.", verdict=None, srm_mismatch=False)
    verdict = ExperimentVerdict.of(analysis.verdict)
    if analysis.srm.mismatch:
        return WinnerRefused(message=(
            f"Sample ratio mismatch (p = {analysis.srm.p_value:.2g}): the split is broken, so "
            "no result can be trusted. Fix assignment or delivery and rerun the test, or "
            "declare with force and a reason."), verdict=verdict, srm_mismatch=True)
    if analysis.verdict.winner != variant:
        found = (f"the verdict's winner is '{analysis.verdict.winner}'"
                 if analysis.verdict.winner else "the verdict names no winner")
        return WinnerRefused(message=(
            f"'{variant}' is not supported as the winner: {found} "
            f"({analysis.verdict.recommendation}) Declare with force and a reason to "
            "override."), verdict=verdict, srm_mismatch=False)
    return None


def _declare(engine: Any, campaign_id: str, variant: str, force: bool, reason: str | None,
             declared_by: str) -> Any:
    result = _campaign_result(engine, campaign_id)
    if result is None:
        return _not_found(campaign_id)
    if variant not in result.names or variant == "":
        return InvalidInput(field="variant", message=(
            f"variant='{variant}' is not a variant of campaign {campaign_id!r}: use one of "
            f"{', '.join(n for n in result.names if n) or '(none)'}"))
    reason = (reason or "").strip() or None
    if force and reason is None:
        return InvalidInput(field="reason", message=(
            "reason is empty: a forced declaration must say why the data's verdict is "
            "overridden (it is recorded with the winner)"))
    if reason is not None and len(reason) > REASON_MAX:
        return InvalidInput(field="reason", message=(
            f"reason is {len(reason)} characters long: keep it to {REASON_MAX}"))
    stored = result.data.experiment
    if stored is not None and stored.status == "decided":
        return WinnerRefused(message=(
            f"A winner was already declared: '{stored.winner_variant}' on "
            f"{stored.declared_at:%Y-%m-%d %H:%M} UTC by {stored.declared_by}."),
            verdict=None, srm_mismatch=False)
    if not force:
        refusal = _refusal(result, variant)
        if refusal is not None:
            return refusal
    lift = interval = None
    if result.analysis is not None:
        effect = next((e for e in result.analysis.primary.evidence if e.variant == variant),
                      None)
        if effect is not None:
            lift = finite(effect.relative_lift)
            if effect.lift_interval is not None:
                interval = (finite(effect.lift_interval.low), finite(effect.lift_interval.high))
    with Session(engine, expire_on_commit=False) as session:
        row = repository.get_experiment(session=session, campaign_id=campaign_id)
        if row is None:
            row = repository.save_experiment(session=session, experiment_in=models.ExperimentCreate(
                campaign_id=campaign_id))
        row = repository.record_winner(
            session=session, experiment_id=row.id or 0, winner=variant, lift=lift,
            lift_interval=interval, forced=force, reason=reason, declared_by=declared_by)
        session.commit()
    return row


def _send_webhook(engine: Any, experiment_id: int) -> tuple[Job | None, str | None]:
    from jobs.send import send

    try:
        job_id = send("experiment_webhook", experiment_id=experiment_id)
    except Exception as error:  # the broker is down: the winner stands, the POST waits
        log.warning("winner webhook of experiment %s not queued: %s", experiment_id, error)
        return None, (f"The winner is recorded but the webhook was not queued ({error}); "
                      "check the worker/broker.")
    with Session(engine) as session:
        row = get_job_run(session=session, job_id=job_id)
        return (Job.from_row(row) if row is not None else None), None


@strawberry.type
class ExperimentMutation:
    @strawberry.mutation(description="Save a campaign's experiment settings. Needs analyst.")
    async def create_experiment(self, info: Info[Context, Any],
                                input: CreateExperimentInput) -> CreateExperimentResult:
        require(info, "analyst")
        return await asyncio.to_thread(_create, info.context.engine, input)

    @strawberry.mutation(description="Record the winner; refused while SRM stands or the "
                                     "verdict names no (other) winner unless force with a "
                                     "reason. Posts the webhook. Needs analyst.")
    async def declare_winner(self, info: Info[Context, Any], campaign_id: strawberry.ID,
                             variant: str, force: bool = False,
                             reason: str | None = None) -> DeclareWinnerResult:
        user = require(info, "analyst")
        engine = info.context.engine
        outcome = await asyncio.to_thread(_declare, engine, str(campaign_id), variant, force,
                                          reason, user.name)
        if not isinstance(outcome, models.Experiment):
            return outcome
        job, problem = None, None
        if outcome.webhook_url:
            job, problem = await asyncio.to_thread(_send_webhook, engine, outcome.id or 0)
        row = await in_session(info, lambda s: repository.get_experiment_by_id(
            session=s, experiment_id=outcome.id or 0))
        return WinnerDeclared(experiment=Experiment.from_row(row or outcome), webhook_job=job,
                              webhook_problem=problem)
