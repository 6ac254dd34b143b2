"""One entry point: validate, test, check the split and guardrails, and give a verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analytics.experiments.bayesian import BayesianResult, bayesian_proportions
from analytics.experiments.comparison import Comparison
from analytics.experiments.evidence import (
    MetricEvidence,
    evidence_from_bayesian,
    evidence_from_fixed,
    evidence_from_sequential,
)
from analytics.experiments.means import pairwise_means
from analytics.experiments.multiple_testing import (
    CORRECTIONS,
    AdjustedComparison,
    adjust_comparisons,
)
from analytics.experiments.peeking import PeekingWarning, naive_retest
from analytics.experiments.proportions import ChiSquareTest, proportions_test
from analytics.experiments.sequential import DEFAULT_TAU, SequentialResult, sequential_test
from analytics.experiments.srm import DEFAULT_SRM_THRESHOLD, SrmResult, sample_ratio_mismatch
from analytics.experiments.summaries import MeanSummary, ProportionSummary
from analytics.experiments.validation import (
    RawVariant,
    check_alpha,
    check_choice,
    control_index,
    cumulative_looks,
    mean_summaries,
    proportion_summaries,
)
from analytics.experiments.verdicts import EFFECT_SCALES, Verdict, decide

METRICS = ("proportion", "mean")
METHODS = ("fixed", "sequential", "bayesian")


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Everything ``analyze_experiment`` found.

    Exactly one of ``comparisons`` (fixed), ``sequential`` or ``bayesian`` is set, by
    ``method``; ``chi_square`` is set for fixed-horizon rates. ``peeking`` explains the
    naive daily re-test whenever several looks were given. ``primary`` and
    ``guardrails`` are the evidence the ``verdict`` was drawn from.
    """

    metric: str
    method: str
    alpha: float
    correction: str
    control: str
    variants: tuple[ProportionSummary | MeanSummary, ...]
    srm: SrmResult
    comparisons: tuple[AdjustedComparison, ...] | None
    chi_square: ChiSquareTest | None
    sequential: SequentialResult | None
    bayesian: BayesianResult | None
    peeking: PeekingWarning | None
    primary: MetricEvidence
    guardrails: tuple[MetricEvidence, ...]
    verdict: Verdict


def _pairwise(summaries: Sequence[ProportionSummary | MeanSummary], metric: str,
              control: str, alpha: float) -> tuple[Comparison, ...]:
    if metric == "proportion":
        return proportions_test(summaries, control=control, alpha=alpha).comparisons
    return pairwise_means(summaries, control=control, alpha=alpha)


def _guardrails(raw: Mapping[str, Sequence[RawVariant]] | None, names: list[str],
                control: str, alpha: float, correction: str) -> tuple[MetricEvidence, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ValueError("guardrails must map a metric name (e.g. 'unsubscribe_rate') to "
                         "per-variant (name, n, conversions) summaries")
    out = []
    for metric, variants in raw.items():
        summaries = proportion_summaries(variants, field=f"guardrails['{metric}']")
        if [s.name for s in summaries] != names:
            raise ValueError(f"guardrails['{metric}'] lists variants "
                             f"{[s.name for s in summaries]} but variants lists {names}: give "
                             "the same variants in the same order")
        # Guardrails always use the fixed-horizon test on current totals, whatever the
        # method: peeking makes false alarms likelier, and on a guardrail a false alarm
        # costs a look while a missed harm costs subscribers.
        comparisons = proportions_test(summaries, control=control, alpha=alpha).comparisons
        adjusted = adjust_comparisons(comparisons, correction=correction, alpha=alpha)
        out.append(evidence_from_fixed(metric, "proportion", adjusted, higher_is_better=False))
    return tuple(out)


def analyze_experiment(
    variants: Sequence[RawVariant], *, metric: str = "proportion", method: str = "fixed",
    alpha: float = 0.05, correction: str = "holm", control: str | None = None,
    weights: Sequence[float] | None = None,
    looks: Sequence[Sequence[RawVariant]] | None = None,
    guardrails: Mapping[str, Sequence[RawVariant]] | None = None,
    metric_name: str | None = None, minimum_effect: float = 0.0,
    effect_scale: str = "relative", horizon_reached: bool = False,
    srm_threshold: float = DEFAULT_SRM_THRESHOLD, tau: float = DEFAULT_TAU,
    prior: tuple[float, float] = (1.0, 1.0), draws: int = 100_000, seed: int = 0,
) -> ExperimentAnalysis:
    """Analyse an A/B/n experiment from per-variant summaries and give a verdict.

    ``variants`` are (name, n, conversions) for ``metric="proportion"`` or (name, n,
    sum, sum_squares) for ``"mean"``, as dataclasses or mappings; the control is
    ``control`` or the first. ``method`` is "fixed" (z / Welch tests with
    ``correction`` "holm", "bh" or "none"), "sequential" (mSPRT over ``looks``,
    cumulative and oldest first; the last look must equal ``variants``) or "bayesian"
    (Beta-Binomial with ``prior``; rates only; ``correction`` does not apply, see
    ``evidence``). ``weights`` is the planned split for
    the SRM check (equal when None). ``guardrails`` maps a rate where higher is worse
    (e.g. "unsubscribe_rate", "complaint_rate") to per-variant (name, n, conversions).
    See ``verdicts`` for the rules behind the verdict.
    """
    check_choice(metric, METRICS, field="metric")
    check_choice(method, METHODS, field="method")
    check_choice(correction, CORRECTIONS, field="correction")
    check_choice(effect_scale, EFFECT_SCALES, field="effect_scale")
    alpha = check_alpha(alpha)
    if not isinstance(prior, Sequence) or len(prior) != 2:
        raise ValueError(f"prior={prior!r} is not a Beta prior: give (alpha, beta), such as "
                         "(1, 1) for the uniform prior")
    if method == "bayesian" and metric != "proportion":
        raise ValueError("method='bayesian' supports metric='proportion' only: use "
                         "method='fixed' or 'sequential' for means")
    summaries = (proportion_summaries(variants) if metric == "proportion"
                 else mean_summaries(variants))
    names = [s.name for s in summaries]
    base = names[control_index(names, control)]
    label = metric_name or ("conversion rate" if metric == "proportion" else "mean")

    parsed_looks = None
    if looks is not None:
        parsed_looks = cumulative_looks(looks, metric=metric)
        if parsed_looks[-1] != summaries:
            raise ValueError("looks[-1] differs from variants: the last look must be the "
                             "current totals, identical to variants")
    if method == "sequential" and parsed_looks is None:
        parsed_looks = (summaries,)

    srm = sample_ratio_mismatch([s.n for s in summaries], weights, names=names,
                                threshold=srm_threshold)
    comparisons: tuple[AdjustedComparison, ...] | None = None
    chi_square: ChiSquareTest | None = None
    sequential: SequentialResult | None = None
    bayesian: BayesianResult | None = None
    if method == "fixed":
        if metric == "proportion":
            test = proportions_test(summaries, control=base, alpha=alpha)
            chi_square, raw = test.chi_square, test.comparisons
        else:
            raw = pairwise_means(summaries, control=base, alpha=alpha)
        comparisons = adjust_comparisons(raw, correction=correction, alpha=alpha)
        primary = evidence_from_fixed(label, metric, comparisons)
    elif method == "sequential":
        assert parsed_looks is not None
        sequential = sequential_test(parsed_looks, metric=metric, control=base, alpha=alpha,
                                     tau=tau, correction=correction)
        final = _pairwise(summaries, metric, base, alpha)
        primary = evidence_from_sequential(label, metric, sequential, final)
    else:
        bayesian = bayesian_proportions(summaries, control=base, prior_alpha=prior[0],
                                        prior_beta=prior[1], credible_level=1 - alpha,
                                        draws=draws, seed=seed)
        primary = evidence_from_bayesian(label, bayesian)

    peeking = None
    if parsed_looks is not None and len(parsed_looks) > 1:
        peeking = naive_retest(parsed_looks, metric=metric, control=base, alpha=alpha,
                               seed=seed)
    guardrail_evidence = _guardrails(guardrails, names, base, alpha, correction)
    verdict = decide(primary, guardrails=guardrail_evidence, srm=srm,
                     minimum_effect=minimum_effect, effect_scale=effect_scale,
                     horizon_reached=horizon_reached)
    return ExperimentAnalysis(
        metric=metric, method=method, alpha=alpha, correction=correction, control=base,
        variants=summaries, srm=srm, comparisons=comparisons, chi_square=chi_square,
        sequential=sequential, bayesian=bayesian, peeking=peeking, primary=primary,
        guardrails=guardrail_evidence, verdict=verdict,
    )
