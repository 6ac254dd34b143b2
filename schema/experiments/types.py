"""GraphQL types of the experiment engine's results, each built from its dataclass.

Numbers that may be infinite or undefined (an interval not bounded yet, a lift over a
control of 0) are nullable and come through ``finite``: JSON has no Infinity or NaN.
"""

from __future__ import annotations

import math
from enum import Enum

import strawberry

from analytics import experiments as engine


def finite(value: float | None) -> float | None:
    """``value`` when it is a finite number, else None."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@strawberry.enum(description="The kind of metric: a rate, a per-recipient mean, or a ratio.")
class MetricType(Enum):
    PROPORTION = "proportion"
    MEAN = "mean"
    RATIO = "ratio"


@strawberry.enum
class ExperimentMethod(Enum):
    FIXED = "fixed"
    SEQUENTIAL = "sequential"
    BAYESIAN = "bayesian"


@strawberry.enum(description="Multiple-testing correction across variants.")
class MultipleTestingCorrection(Enum):
    HOLM = "holm"
    BH = "bh"
    NONE = "none"


@strawberry.enum(description="Whether a minimum effect is a relative lift or an absolute change.")
class EffectScale(Enum):
    RELATIVE = "relative"
    ABSOLUTE = "absolute"


@strawberry.enum
class VerdictStatus(Enum):
    KEEP_RUNNING = "keep_running"
    WINNER = "winner"
    NO_DIFFERENCE = "no_difference"
    SRM_INVALID = "srm_invalid"
    GUARDRAIL_VIOLATED = "guardrail_violated"


@strawberry.type(description="A closed interval; a null end is not bounded yet.")
class EffectInterval:
    low: float | None
    high: float | None

    @classmethod
    def of(cls, interval: engine.Interval | None) -> EffectInterval | None:
        if interval is None:
            return None
        return cls(low=finite(interval.low), high=finite(interval.high))


@strawberry.type(description="One variant's summary numbers and its rate or mean.")
class VariantStats:
    name: str
    n: int
    conversions: int | None
    sum: float | None
    sum_squares: float | None
    value: float | None

    @classmethod
    def of(cls, s: engine.ProportionSummary | engine.MeanSummary) -> VariantStats:
        if isinstance(s, engine.ProportionSummary):
            return cls(name=s.name, n=s.n, conversions=s.conversions, sum=None,
                       sum_squares=None, value=finite(s.rate))
        return cls(name=s.name, n=s.n, conversions=None, sum=s.sum, sum_squares=s.sum_squares,
                   value=finite(s.mean))


@strawberry.type(description="A variant against the control: difference = variant − control.")
class VariantEffect:
    variant: str
    control_value: float | None
    variant_value: float | None
    difference: float | None
    difference_interval: EffectInterval
    relative_lift: float | None = strawberry.field(description="variant / control − 1.")
    lift_interval: EffectInterval | None
    p_value: float | None = strawberry.field(
        description="Adjusted for multiple variants (fixed, sequential); null for Bayesian.")
    probability_better: float | None = strawberry.field(
        description="Bayesian P(variant beats control); null for other methods.")
    significant: bool

    @classmethod
    def of(cls, e: engine.Evidence) -> VariantEffect:
        return cls(variant=e.variant, control_value=finite(e.control_value),
                   variant_value=finite(e.variant_value), difference=finite(e.difference),
                   difference_interval=EffectInterval.of(e.difference_interval),  # type: ignore[arg-type]
                   relative_lift=finite(e.relative_lift),
                   lift_interval=EffectInterval.of(e.lift_interval), p_value=finite(e.p_value),
                   probability_better=finite(e.probability_better), significant=e.significant)


@strawberry.type(description="Every variant against the control on one metric.")
class MetricEffects:
    metric: str
    metric_type: MetricType
    method: ExperimentMethod
    control: str
    higher_is_better: bool
    interval_level: float = strawberry.field(description="e.g. 0.975 for Holm with 2 variants.")
    effects: list[VariantEffect]

    @classmethod
    def of(cls, m: engine.MetricEvidence) -> MetricEffects:
        return cls(metric=m.metric, metric_type=MetricType(m.kind),
                   method=ExperimentMethod(m.method), control=m.control,
                   higher_is_better=m.higher_is_better, interval_level=m.interval_level,
                   effects=[VariantEffect.of(e) for e in m.evidence])


@strawberry.type(description="Chi-square test of the observed split against the plan.")
class SampleRatioCheck:
    variants: list[str]
    observed: list[int]
    expected: list[float]
    planned_shares: list[float]
    statistic: float | None
    degrees_of_freedom: int
    p_value: float
    threshold: float
    mismatch: bool = strawberry.field(description="p < threshold: do not read the results.")

    @classmethod
    def of(cls, s: engine.SrmResult) -> SampleRatioCheck:
        return cls(variants=list(s.names), observed=list(s.observed), expected=list(s.expected),
                   planned_shares=list(s.weights), statistic=finite(s.statistic),
                   degrees_of_freedom=s.df, p_value=s.p_value, threshold=s.threshold,
                   mismatch=s.mismatch)


@strawberry.type
class ChiSquareResult:
    statistic: float | None
    degrees_of_freedom: int
    p_value: float


@strawberry.type
class ExperimentVerdict:
    status: VerdictStatus
    winner: str | None
    recommendation: str
    rules: list[str]

    @classmethod
    def of(cls, v: engine.Verdict) -> ExperimentVerdict:
        return cls(status=VerdictStatus(v.status), winner=v.winner,
                   recommendation=v.recommendation, rules=list(v.rules))


@strawberry.type(description="The mSPRT for one variant at one look.")
class SequentialEffect:
    variant: str
    n_control: int
    n_variant: int
    difference: float | None
    interval: EffectInterval = strawberry.field(description="Always valid.")
    p_value: float = strawberry.field(description="Always-valid p-value (running minimum).")
    adjusted_p_value: float


@strawberry.type
class SequentialStep:
    look: int = strawberry.field(description="0-based position in the looks.")
    day: int | None = strawberry.field(description="Days since the send (campaigns only).")
    stop: bool
    effects: list[SequentialEffect]


@strawberry.type(description="Always-valid results at every look (mixture SPRT).")
class SequentialMonitor:
    tau: float
    interval_level: float
    stopped_at: int | None
    looks: list[SequentialStep]

    @classmethod
    def of(cls, r: engine.SequentialResult, days: list[int] | None = None) -> SequentialMonitor:
        steps = [SequentialStep(
            look=look.index, day=days[look.index] if days else None, stop=look.stop,
            effects=[SequentialEffect(
                variant=c.variant, n_control=c.n_control, n_variant=c.n_variant,
                difference=finite(c.difference),
                interval=EffectInterval.of(c.interval),  # type: ignore[arg-type]
                p_value=c.p_value, adjusted_p_value=c.adjusted_p_value)
                for c in look.comparisons])
            for look in r.looks]
        return cls(tau=r.tau, interval_level=1 - r.interval_alpha, stopped_at=r.stopped_at,
                   looks=steps)


@strawberry.type(description="What a naive daily fixed-horizon re-test would claim. An "
                             "explanation, never a decision method.")
class PeekingExplanation:
    looks: int
    naive_false_positive_rate: float
    first_naive_rejection: int | None
    naive_p_values: list[list[float]]
    message: str

    @classmethod
    def of(cls, p: engine.PeekingWarning | None) -> PeekingExplanation | None:
        if p is None:
            return None
        return cls(looks=p.looks, naive_false_positive_rate=p.false_positive_rate,
                   first_naive_rejection=p.first_naive_rejection,
                   naive_p_values=[list(row) for row in p.naive_p_values], message=p.message)


@strawberry.type(description="A variant's Beta posterior.")
class BayesianArm:
    name: str
    posterior_alpha: float
    posterior_beta: float
    mean: float
    interval: EffectInterval
    probability_best: float
    expected_loss: float
    probability_beats_control: float | None
    exact_probability_beats_control: float | None
    difference_mean: float | None
    difference_interval: EffectInterval | None
    lift_mean: float | None
    lift_interval: EffectInterval | None

    @classmethod
    def of(cls, v: engine.BayesianVariant) -> BayesianArm:
        return cls(name=v.name, posterior_alpha=v.posterior_alpha,
                   posterior_beta=v.posterior_beta, mean=v.mean,
                   interval=EffectInterval.of(v.interval),  # type: ignore[arg-type]
                   probability_best=v.probability_best, expected_loss=v.expected_loss,
                   probability_beats_control=finite(v.probability_beats_control),
                   exact_probability_beats_control=finite(v.exact_probability_beats_control),
                   difference_mean=finite(v.difference_mean),
                   difference_interval=EffectInterval.of(v.difference_interval),
                   lift_mean=finite(v.lift_mean), lift_interval=EffectInterval.of(v.lift_interval))


@strawberry.type(description="The engine's full answer; sequential and bayesian are set by "
                             "method, chiSquare for fixed-horizon rates.")
class ExperimentAnalysis:
    metric: str
    metric_type: MetricType
    method: ExperimentMethod
    alpha: float
    correction: MultipleTestingCorrection
    control: str
    variants: list[VariantStats]
    srm: SampleRatioCheck
    chi_square: ChiSquareResult | None
    primary: MetricEffects
    guardrails: list[MetricEffects]
    sequential: SequentialMonitor | None
    bayesian: list[BayesianArm] | None
    peeking: PeekingExplanation | None
    verdict: ExperimentVerdict

    @classmethod
    def of(cls, a: engine.ExperimentAnalysis, days: list[int] | None = None) -> ExperimentAnalysis:
        chi = a.chi_square
        return cls(
            metric=a.primary.metric, metric_type=MetricType(a.metric),
            method=ExperimentMethod(a.method), alpha=a.alpha,
            correction=MultipleTestingCorrection(a.correction), control=a.control,
            variants=[VariantStats.of(s) for s in a.variants], srm=SampleRatioCheck.of(a.srm),
            chi_square=None if chi is None else ChiSquareResult(
                statistic=finite(chi.statistic), degrees_of_freedom=chi.df, p_value=chi.p_value),
            primary=MetricEffects.of(a.primary),
            guardrails=[MetricEffects.of(g) for g in a.guardrails],
            sequential=None if a.sequential is None else SequentialMonitor.of(a.sequential, days),
            bayesian=None if a.bayesian is None else [BayesianArm.of(v)
                                                      for v in a.bayesian.variants],
            peeking=PeekingExplanation.of(a.peeking), verdict=ExperimentVerdict.of(a.verdict),
        )
