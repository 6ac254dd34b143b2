"""GraphQL types of campaign experiments, plans and winner declarations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import strawberry
from strawberry.types import Info

from analytics.experiments import SampleSizePlan
from analytics.experiments.campaign import METRICS, Settings
from schema.context import Context, signed_in
from schema.errors import Error
from schema.experiments.inputs import ExperimentMetric
from schema.experiments.types import (
    EffectInterval,
    EffectScale,
    ExperimentAnalysis,
    ExperimentMethod,
    ExperimentVerdict,
    MetricEffects,
    MetricType,
    MultipleTestingCorrection,
    SequentialMonitor,
    VariantEffect,
    VariantStats,
    VerdictStatus,
    finite,
)
from schema.jobs.types import Job
from server.db import models
from server.runners.experiments import CampaignAnalysis


@strawberry.enum
class ExperimentStatus(Enum):
    RUNNING = "running"
    DECIDED = "decided"


@strawberry.type
class PlannedWeight:
    variant: str
    weight: float


@strawberry.type(description="Stored by createExperiment, or the defaults (saved = false).")
class ExperimentSettings:
    primary_metric: ExperimentMetric
    method: ExperimentMethod
    alpha: float
    correction: MultipleTestingCorrection
    minimum_effect: float
    effect_scale: EffectScale
    guardrails: list[ExperimentMetric]
    planned_weights: list[PlannedWeight]
    control: str | None
    horizon_days: int | None
    webhook_host: str | None = strawberry.field(description="Host the webhook goes to.")
    saved: bool
    url: strawberry.Private[str | None]

    @strawberry.field(description="The full webhook address; analysts only (it may carry a "
                                  "secret), null for viewers.")
    def webhook_url(self, info: Info[Context, Any]) -> str | None:
        user = signed_in(info.context.user)
        return self.url if user is not None and user.has_role("analyst") else None

    @classmethod
    def of(cls, s: Settings) -> ExperimentSettings:
        return cls(primary_metric=ExperimentMetric(s.primary_metric),
                   method=ExperimentMethod(s.method), alpha=s.alpha,
                   correction=MultipleTestingCorrection(s.correction),
                   minimum_effect=s.minimum_effect, effect_scale=EffectScale(s.effect_scale),
                   guardrails=[ExperimentMetric(g) for g in s.guardrails],
                   planned_weights=[PlannedWeight(variant=k, weight=v)
                                    for k, v in sorted(s.weights.items())],
                   control=s.control, horizon_days=s.horizon_days,
                   webhook_host=urlsplit(s.webhook_url).hostname if s.webhook_url else None,
                   saved=s.saved, url=s.webhook_url)


@strawberry.type(description="A campaign's stored experiment and its declared winner.")
class Experiment:
    id: strawberry.ID
    campaign_id: strawberry.ID
    status: ExperimentStatus
    winner: str | None
    winner_lift: float | None
    winner_lift_interval: EffectInterval | None
    forced: bool
    decision_reason: str | None
    declared_by: str | None
    declared_at: datetime | None
    webhook_sent_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Experiment) -> Experiment:
        interval = None
        if row.winner_lift_low is not None or row.winner_lift_high is not None:
            interval = EffectInterval(low=row.winner_lift_low, high=row.winner_lift_high)
        return cls(id=strawberry.ID(str(row.id)), campaign_id=strawberry.ID(row.campaign_id),
                   status=ExperimentStatus(row.status), winner=row.winner_variant,
                   winner_lift=row.winner_lift, winner_lift_interval=interval,
                   forced=row.forced, decision_reason=row.decision_reason,
                   declared_by=row.declared_by, declared_at=row.declared_at,
                   webhook_sent_at=row.webhook_sent_at, created_at=row.created_at)


@strawberry.type(description="One variant's planned weight and delivered-send counts.")
class ExperimentVariant:
    name: str
    subject_line: str | None
    planned_weight: float | None
    sent: int
    delivered: int
    opens: int = strawberry.field(description="Human opens (privacy-proxy opens excluded).")
    clicks: int
    conversions: int = strawberry.field(description="Recipients with an attributed order.")
    unsubscribes: int
    complaints: int
    revenue: float


@strawberry.type(description="A campaign as an A/B test: settings, variants and results.")
class CampaignExperiment:
    campaign_id: strawberry.ID
    campaign_name: str
    experiment: Experiment | None
    settings: ExperimentSettings
    started_at: datetime | None
    horizon_reached: bool
    variants: list[ExperimentVariant]
    analysis: ExperimentAnalysis | None
    metrics: list[MetricEffects] = strawberry.field(
        description="Every metric, fixed-horizon and adjusted across variants (the forest "
                    "plot); only the primary metric decides.")
    monitor: SequentialMonitor | None = strawberry.field(
        description="Always-valid view of the primary metric by day since the send.")
    problem: str | None = strawberry.field(description="Why there is no analysis yet.")

    @classmethod
    def of(cls, result: CampaignAnalysis) -> CampaignExperiment:
        data = result.data
        subjects = {v.variant_id: v.subject_line for v in data.planned}
        variants = [ExperimentVariant(
            name=r["variant_id"], subject_line=subjects.get(r["variant_id"]),
            planned_weight=result.settings.weights.get(r["variant_id"]), sent=r["sent"],
            delivered=r["delivered"], opens=r["opens"], clicks=r["clicks"],
            conversions=r["conversions"], unsubscribes=r["unsubscribes"],
            complaints=r["complaints"], revenue=r["revenue_sum"])
            for r in data.summaries.to_dicts()]
        days = list(result.look_days)
        return cls(
            campaign_id=strawberry.ID(data.campaign.campaign_id),
            campaign_name=data.campaign.name,
            experiment=None if data.experiment is None else Experiment.from_row(data.experiment),
            settings=ExperimentSettings.of(result.settings), started_at=data.start,
            horizon_reached=result.horizon_reached, variants=variants,
            analysis=None if result.analysis is None else ExperimentAnalysis.of(result.analysis,
                                                                                days),
            metrics=[_keyed(key, m) for key, m in result.metrics],
            monitor=None if result.monitor is None else SequentialMonitor.of(result.monitor, days),
            problem=result.problem)


def _keyed(key: str, evidence: Any) -> MetricEffects:
    effects = MetricEffects.of(evidence)
    effects.metric = METRICS[key].label
    return effects


@strawberry.type
class AnalysisLook:
    look: int
    variants: list[VariantStats]
    effects: list[VariantEffect]
    status: VerdictStatus
    stop: bool = strawberry.field(description="The method's stopping rule fires here.")


@strawberry.type(description="analyzeExperiment's answer: the final analysis and every look.")
class AnalyzedExperiment:
    analysis: ExperimentAnalysis
    looks: list[AnalysisLook]
    stopped_at: int | None = strawberry.field(
        description="First look (0-based) where the stopping rule fires.")
    stopping_rule: str


@strawberry.type
class ExperimentPlan:
    metric_type: MetricType
    baseline: float
    target: float
    absolute_effect: float
    effect_size: float = strawberry.field(description="Cohen's h (rates) or d (means).")
    alpha: float
    alpha_per_comparison: float
    power: float
    variants: int
    per_variant: int
    total: int
    daily_volume: int | None
    days: int | None
    current_power: float | None = strawberry.field(
        description="Power of the running test at currentControlN / currentVariantN.")

    @classmethod
    def of(cls, plan: SampleSizePlan, current_power: float | None) -> ExperimentPlan:
        return cls(metric_type=MetricType(plan.metric), baseline=plan.baseline,
                   target=plan.target, absolute_effect=plan.absolute_effect,
                   effect_size=plan.effect_size, alpha=plan.alpha,
                   alpha_per_comparison=plan.alpha_per_comparison, power=plan.power,
                   variants=plan.variants, per_variant=plan.per_variant, total=plan.total,
                   daily_volume=plan.daily_volume, days=plan.days,
                   current_power=finite(current_power))


@strawberry.type
class WinnerDeclared:
    experiment: Experiment
    webhook_job: Job | None = strawberry.field(description="The webhook delivery job, when "
                                                           "the experiment has a webhook.")
    webhook_problem: str | None


@strawberry.type(description="The winner was not recorded; message says why and what to do.")
class WinnerRefused(Error):
    verdict: ExperimentVerdict | None
    srm_mismatch: bool
