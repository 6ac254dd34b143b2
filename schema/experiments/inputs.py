"""Inputs of the experiment fields, and the typed error their validation returns."""

from __future__ import annotations

import re
from enum import Enum

import strawberry

from analytics.experiments.campaign import DEFAULT_SETTINGS
from schema.errors import Error
from schema.experiments.types import (
    EffectScale,
    ExperimentMethod,
    MetricType,
    MultipleTestingCorrection,
)


@strawberry.enum(description="Metrics a campaign experiment measures.")
class ExperimentMetric(Enum):
    OPEN_RATE = "open_rate"
    CLICK_RATE = "click_rate"
    CONVERSION_RATE = "conversion_rate"
    REVENUE_PER_RECIPIENT = "revenue_per_recipient"
    CLICK_TO_OPEN_RATE = "click_to_open_rate"
    UNSUBSCRIBE_RATE = "unsubscribe_rate"
    COMPLAINT_RATE = "complaint_rate"


@strawberry.type(description="An input the engine cannot use; field names it, message says "
                             "how to fix it.")
class InvalidInput(Error):
    field: str


@strawberry.input(description="(name, n, conversions) for rates or (name, n, sum, sumSquares) "
                              "for means.")
class VariantSummaryInput:
    name: str
    n: int
    conversions: int | None = None
    sum: float | None = None
    sum_squares: float | None = strawberry.field(
        default=None, description="Sum of each recipient's value squared.")


@strawberry.input(description="A rate where higher is worse (unsubscribes, complaints).")
class GuardrailInput:
    name: str
    variants: list[VariantSummaryInput]


@strawberry.input
class AnalyzeExperimentInput:
    variants: list[VariantSummaryInput] = strawberry.field(
        description="Current totals; the first is the control unless control names another.")
    metric_type: MetricType = MetricType.PROPORTION
    method: ExperimentMethod = ExperimentMethod.FIXED
    alpha: float = 0.05
    correction: MultipleTestingCorrection = MultipleTestingCorrection.HOLM
    control: str | None = None
    weights: list[float] | None = strawberry.field(
        default=None, description="Planned split for the SRM check (equal when omitted).")
    looks: list[list[VariantSummaryInput]] | None = strawberry.field(
        default=None, description="Cumulative snapshots, oldest first; the last must equal "
                                  "variants.")
    guardrails: list[GuardrailInput] | None = None
    minimum_effect: float = 0.0
    effect_scale: EffectScale = EffectScale.RELATIVE
    horizon_reached: bool = False
    seed: int = strawberry.field(default=0, description="Bayesian Monte Carlo seed.")


@strawberry.input
class PlanExperimentInput:
    baseline: float = strawberry.field(description="Control rate (0..1) or mean.")
    minimum_effect: float = strawberry.field(description="Smallest change worth detecting.")
    metric_type: MetricType = MetricType.PROPORTION
    relative: bool = strawberry.field(default=True,
                                      description="minimumEffect is a relative lift.")
    standard_deviation: float | None = strawberry.field(
        default=None, description="Per-recipient standard deviation (means only).")
    alpha: float = 0.05
    power: float = 0.8
    variants: int = strawberry.field(default=2, description="Arms including the control.")
    daily_volume: int | None = strawberry.field(
        default=None, description="Sends per day across all arms.")
    current_control_n: int | None = strawberry.field(
        default=None, description="Recipients so far in the control (power of a running test).")
    current_variant_n: int | None = None


@strawberry.input
class PlannedWeightInput:
    variant: str
    weight: float


@strawberry.input(description="Settings of a campaign's experiment; omitted fields take the "
                              "defaults.")
class CreateExperimentInput:
    campaign_id: strawberry.ID
    primary_metric: ExperimentMetric = ExperimentMetric(DEFAULT_SETTINGS.primary_metric)
    method: ExperimentMethod = ExperimentMethod(DEFAULT_SETTINGS.method)
    alpha: float = DEFAULT_SETTINGS.alpha
    correction: MultipleTestingCorrection = MultipleTestingCorrection(
        DEFAULT_SETTINGS.correction)
    minimum_effect: float = DEFAULT_SETTINGS.minimum_effect
    effect_scale: EffectScale = EffectScale(DEFAULT_SETTINGS.effect_scale)
    guardrails: list[ExperimentMetric] | None = strawberry.field(
        default=None, description="Default: UNSUBSCRIBE_RATE and COMPLAINT_RATE.")
    planned_weights: list[PlannedWeightInput] | None = strawberry.field(
        default=None, description="Default: the campaign's variant weights.")
    control: str | None = None
    horizon_days: int | None = DEFAULT_SETTINGS.horizon_days
    webhook_url: str | None = strawberry.field(
        default=None, description="http(s) address POSTed when a winner is declared.")


# The engine's argument names, as the caller sent them.
_RENAMES = {
    "sum_squares": "sumSquares", "minimum_effect": "minimumEffect",
    "effect_scale": "effectScale", "baseline_rate": "baseline", "baseline_mean": "baseline",
    "std": "standardDeviation", "daily_volume": "dailyVolume", "n_control": "currentControlN",
    "n_variant": "currentVariantN", "effect": "minimumEffect",
}


_FIELD = re.compile(r"^[A-Za-z_]\w*(?:\[-?\d+\]|\['[^']*'\]|\.[A-Za-z_]\w*)*")


def _rename(match: re.Match[str]) -> str:
    return _RENAMES.get(match.group(0), match.group(0))


def invalid_input(error: ValueError, *, prefix: str = "") -> InvalidInput:
    """The engine's ValueError as an InvalidInput naming the caller's field."""
    message = re.sub(r"\b[a-z]+(?:_[a-z]+)*\b(?==|\[|\.| has| is| must)", _rename, str(error))
    match = _FIELD.match(message)
    field = match.group(0) if match else "input"
    return InvalidInput(field=prefix + field, message=message)
