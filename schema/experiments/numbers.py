"""analyzeExperiment and planExperiment: the engine on numbers the caller brings.

Both run in a worker thread and turn the engine's ValueError into ``InvalidInput``.
"""

from __future__ import annotations

from typing import Any

from analytics.experiments import (
    ExperimentAnalysis as EngineAnalysis,
)
from analytics.experiments import (
    analyze_experiment,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)
from schema.experiments.inputs import (
    AnalyzeExperimentInput,
    InvalidInput,
    PlanExperimentInput,
    VariantSummaryInput,
    invalid_input,
)
from schema.experiments.results import AnalysisLook, AnalyzedExperiment, ExperimentPlan
from schema.experiments.types import (
    ExperimentAnalysis,
    MetricType,
    VariantEffect,
    VariantStats,
    VerdictStatus,
)

# Every look re-runs the analysis (the sequential one over all looks before it), so the
# work grows with the square of the looks; a daily test over three months stays fast.
MAX_LOOKS = 100


MAX_VARIANTS = 20


MAX_INT = 2**31 - 1


STOPPING_RULES = {
    "fixed": ("Fixed horizon: read the result once, at the planned sample size. There is no "
              "interim stopping rule (see peeking for what a daily re-test would claim)."),
    "sequential": ("Mixture SPRT: stop at the first look where an adjusted always-valid "
                   "p-value is at most alpha; valid however often you look."),
    "bayesian": ("Stop at the first look where a credible interval of the difference "
                 "excludes 0. Looking often raises the error rate: fix the looks in advance."),
}


def _variants(items: list[VariantSummaryInput], metric: MetricType,
              where: str) -> list[dict[str, Any]]:
    if len(items) > MAX_VARIANTS:
        raise ValueError(f"{where} has {len(items)} variants: give at most {MAX_VARIANTS}")
    out = []
    for i, v in enumerate(items):
        row: dict[str, Any] = {"name": v.name, "n": v.n}
        if metric is MetricType.PROPORTION:
            if v.conversions is None:
                raise ValueError(f"{where}[{i}].conversions is missing for variant "
                                 f"'{v.name}': metricType PROPORTION needs conversions")
            row["conversions"] = v.conversions
        else:
            for key, value in (("sum", v.sum), ("sumSquares", v.sum_squares)):
                if value is None:
                    raise ValueError(f"{where}[{i}].{key} is missing for variant '{v.name}': "
                                     "metricType MEAN needs sum and sumSquares")
            row["sum"], row["sum_squares"] = v.sum, v.sum_squares
        out.append(row)
    return out


def _stop(method: str, analysis: EngineAnalysis) -> bool:
    if method == "sequential":
        return bool(analysis.sequential and analysis.sequential.final.stop)
    if method == "bayesian":
        return any(e.significant for e in analysis.primary.evidence)
    return False


def _look(index: int, analysis: EngineAnalysis, method: str) -> AnalysisLook:
    return AnalysisLook(look=index, variants=[VariantStats.of(s) for s in analysis.variants],
                        effects=[VariantEffect.of(e) for e in analysis.primary.evidence],
                        status=VerdictStatus(analysis.verdict.status),
                        stop=_stop(method, analysis))


def analyze_numbers(data: AnalyzeExperimentInput) -> AnalyzedExperiment | InvalidInput:
    """Run the engine on ``data`` at its last look and at every earlier one."""
    try:
        if data.metric_type is MetricType.RATIO:
            raise ValueError("metricType=RATIO is not supported here: ratio metrics need "
                             "per-recipient cross sums; use PROPORTION or MEAN")
        metric = data.metric_type.value
        variants = _variants(data.variants, data.metric_type, "variants")
        looks = None
        if data.looks is not None:
            if len(data.looks) > MAX_LOOKS:
                raise ValueError(f"looks has {len(data.looks)} looks: give at most {MAX_LOOKS} "
                                 "(e.g. one a day)")
            looks = [_variants(look, data.metric_type, f"looks[{t}]")
                     for t, look in enumerate(data.looks)]
        guardrails = None
        if data.guardrails:
            guardrails = {g.name: _variants(g.variants, MetricType.PROPORTION,
                                            f"guardrails[{i}].variants")
                          for i, g in enumerate(data.guardrails)}
        common: dict[str, Any] = {
            "metric": metric, "method": data.method.value, "alpha": data.alpha,
            "correction": data.correction.value, "control": data.control,
            "weights": data.weights, "minimum_effect": data.minimum_effect,
            "effect_scale": data.effect_scale.value, "seed": data.seed}
        final = analyze_experiment(variants, looks=looks, guardrails=guardrails,
                                   horizon_reached=data.horizon_reached, **common)
        # Earlier looks see only what was known then (guardrails arrive as totals only).
        results = [analyze_experiment(looks[t], looks=looks[:t + 1], **common)
                   for t in range(len(looks) - 1)] if looks else []
    except ValueError as error:
        return invalid_input(error)
    method = data.method.value
    steps = [_look(t, a, method) for t, a in enumerate([*results, final])]
    stopped = next((step.look for step in steps if step.stop), None)
    return AnalyzedExperiment(analysis=ExperimentAnalysis.of(final), looks=steps,
                              stopped_at=stopped, stopping_rule=STOPPING_RULES[method])


def plan_numbers(data: PlanExperimentInput) -> ExperimentPlan | InvalidInput:
    """Sample size per variant, total, days and (optionally) the power of a running test."""
    try:
        current = [data.current_control_n, data.current_variant_n]
        if (current[0] is None) != (current[1] is None):
            raise ValueError("currentVariantN and currentControlN go together: give both "
                             "recipient counts of the running test, or neither")
        comparisons = max(1, data.variants - 1)
        if data.metric_type is MetricType.PROPORTION:
            plan = sample_size_proportions(
                data.baseline, data.minimum_effect, relative=data.relative, alpha=data.alpha,
                power=data.power, variants=data.variants, daily_volume=data.daily_volume)
            power = None if current[0] is None else power_proportions(
                current[0], current[1], data.baseline, data.minimum_effect,  # type: ignore[arg-type]
                relative=data.relative, alpha=data.alpha, comparisons=comparisons).power
        elif data.metric_type is MetricType.MEAN:
            if data.standard_deviation is None:
                raise ValueError("standardDeviation is missing: MEAN plans need the standard "
                                 "deviation of one recipient's value")
            plan = sample_size_means(
                data.baseline, data.standard_deviation, data.minimum_effect,
                relative=data.relative, alpha=data.alpha, power=data.power,
                variants=data.variants, daily_volume=data.daily_volume)
            power = None if current[0] is None else power_means(
                current[0], current[1], data.standard_deviation,  # type: ignore[arg-type]
                plan.absolute_effect, alpha=data.alpha, comparisons=comparisons).power
        else:
            raise ValueError("metricType=RATIO cannot be planned: plan on the click rate "
                             "(PROPORTION) instead")
    except ValueError as error:
        return invalid_input(error)
    if plan.total > MAX_INT:
        return InvalidInput(field="minimumEffect", message=(
            f"minimumEffect={data.minimum_effect} needs {plan.per_variant:,} recipients per "
            "variant, more than any send: choose a larger minimum effect"))
    return ExperimentPlan.of(plan, power)
