"""The verdict: what to do with an experiment, in one status and one sentence.

Rules, in order:

1. Sample ratio mismatch (SRM) voids everything: status ``srm_invalid``, no winner.
2. A variant is a candidate when, on the primary metric, it is significant in the good
   direction (after the multiple-testing adjustment) AND the pessimistic end of the
   interval of its difference clears the minimum practical effect (MPE). We use the
   interval's bound, not the point estimate: a winner should be worth shipping even at
   the low end of what the data allow. A relative MPE (``effect_scale="relative"``,
   0.02 = a 2% lift) is turned into a difference through the control's estimate. We
   compare on the difference rather than on the delta-method lift interval because
   the difference interval is the one that matches the test: for noisy controls
   (revenue) the lift interval is much wider, so with MPE = 0 it could veto a
   significant result, a contradiction no reader can act on. Only the threshold
   ignores the control's noise, a second-order effect.
3. A candidate that is significantly worse on any guardrail (higher is worse, e.g.
   unsubscribe or complaint rate) is dropped. The best remaining candidate (largest
   effect) is the ``winner``.
4. With no winner, any variant significantly worse on a guardrail gives
   ``guardrail_violated``: stop that variant now.
5. ``no_difference`` when every variant's interval lies strictly inside ±MPE
   (practically equivalent to the control), or the planned horizon is reached
   without a winner.
6. Otherwise ``keep_running``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analytics.experiments.evidence import Evidence, MetricEvidence
from analytics.experiments.srm import SrmResult
from analytics.experiments.validation import check_choice

STATUSES = ("keep_running", "winner", "no_difference", "srm_invalid", "guardrail_violated")
EFFECT_SCALES = ("relative", "absolute")


@dataclass(frozen=True)
class Verdict:
    """Status (one of ``STATUSES``), the winner's name, a sentence and the rules applied."""

    status: str
    winner: str | None
    recommendation: str
    rules: tuple[str, ...]


def _threshold(e: Evidence, scale: str, mpe: float) -> float:
    return mpe if scale == "absolute" else mpe * abs(e.control_value)


def _value(kind: str, value: float) -> str:
    return f"{value:.2%}" if kind == "proportion" else f"{value:,.4g}"


def _change(kind: str, value: float) -> str:
    return f"{value * 100:+.2f} pp" if kind == "proportion" else f"{value:+,.4g}"


def _mpe(m: MetricEvidence, scale: str, mpe: float) -> str:
    if scale == "absolute":
        return _change(m.kind, mpe).lstrip("+")
    if mpe == 0 or not m.evidence:
        return f"{mpe:.1%}"
    threshold = _threshold(m.evidence[0], scale, mpe)
    return f"{mpe:.1%} ({_change(m.kind, threshold).lstrip('+')} here)"


def _strength(e: Evidence) -> str:
    if e.p_value is not None:
        return f"p = {e.p_value:.3g}"
    return f"P(better) = {e.probability_better:.1%}" if e.probability_better is not None else ""


def _describe(m: MetricEvidence, e: Evidence) -> str:
    lift = "" if e.relative_lift is None else f" (lift {e.relative_lift:+.1%})"
    interval = e.difference_interval
    return (f"{m.metric} {_value(m.kind, e.variant_value)} for '{e.variant}' vs "
            f"{_value(m.kind, e.control_value)} for control '{m.control}'{lift}, change "
            f"{_change(m.kind, e.difference)} ({m.interval_level * 100:.3g}% interval "
            f"{_change(m.kind, interval.low)} to {_change(m.kind, interval.high)}, "
            f"{_strength(e)})")


def _clears(m: MetricEvidence, e: Evidence, scale: str, mpe: float) -> bool:
    if not e.significant:
        return False
    threshold = _threshold(e, scale, mpe)
    if m.higher_is_better:
        return e.difference > 0 and e.difference_interval.low >= threshold
    return e.difference < 0 and e.difference_interval.high <= -threshold


def _harms(m: MetricEvidence, e: Evidence) -> bool:
    worse = e.difference > 0 if not m.higher_is_better else e.difference < 0
    return e.significant and worse


def _equivalent(e: Evidence, scale: str, mpe: float) -> bool:
    threshold = _threshold(e, scale, mpe)
    interval = e.difference_interval
    return threshold > 0 and -threshold < interval.low and interval.high < threshold


def decide(primary: MetricEvidence, *, guardrails: Sequence[MetricEvidence] = (),
           srm: SrmResult | None = None, minimum_effect: float = 0.0,
           effect_scale: str = "relative", horizon_reached: bool = False) -> Verdict:
    """Apply the verdict rules (module docstring) to a primary metric and guardrails.

    ``minimum_effect`` is on ``effect_scale``: 0.02 means a 2% relative lift, or with
    ``"absolute"`` two percentage points of a rate (or 0.02 of a mean).
    ``horizon_reached`` says the planned sample size or duration has been reached.
    """
    check_choice(effect_scale, EFFECT_SCALES, field="effect_scale")
    if not minimum_effect >= 0:
        raise ValueError(f"minimum_effect={minimum_effect!r} is negative: give the smallest "
                         "change worth shipping as a number ≥ 0")
    mpe = float(minimum_effect)
    rules: list[str] = []
    if srm is not None:
        split = " / ".join(f"{o:,}" for o in srm.observed)
        planned = " / ".join(f"{w:.0%}" for w in srm.weights)
        if srm.mismatch:
            rules.append(f"SRM: p = {srm.p_value:.2g} < {srm.threshold:g}, the split is broken")
            return Verdict(
                status="srm_invalid", winner=None, rules=tuple(rules),
                recommendation=(f"Do not read these results: the observed split {split} does "
                                f"not match the planned {planned} (SRM p = {srm.p_value:.2g}"
                                f" < {srm.threshold:g}); fix assignment or delivery and "
                                "restart the test."))
        rules.append(f"SRM: p = {srm.p_value:.3g} ≥ {srm.threshold:g}, split {split} matches "
                     f"the plan {planned}")

    label = _mpe(primary, effect_scale, mpe)
    harmed: dict[str, list[tuple[MetricEvidence, Evidence]]] = {}
    for g in guardrails:
        for e in g.evidence:
            if _harms(g, e):
                harmed.setdefault(e.variant, []).append((g, e))
                rules.append(f"Guardrail {g.metric}: '{e.variant}' is significantly worse "
                             f"({_strength(e)})")
    if guardrails and not harmed:
        rules.append("Guardrails: no variant is significantly worse on "
                     + ", ".join(g.metric for g in guardrails))

    candidates = []
    for e in primary.evidence:
        clears = _clears(primary, e, effect_scale, mpe)
        rules.append(f"Primary {primary.metric}: '{e.variant}' "
                     f"{'is' if e.significant else 'is not'} significant ({_strength(e)}), "
                     f"interval {'clears' if clears else 'does not clear'} the minimum "
                     f"effect {label}")
        if clears and e.variant not in harmed:
            candidates.append(e)

    if candidates:
        best = max(candidates, key=lambda e: abs(e.difference))
        return Verdict(
            status="winner", winner=best.variant, rules=tuple(rules),
            recommendation=(f"Roll out '{best.variant}': {_describe(primary, best)}, which "
                            f"clears the minimum practical effect of {label}."))

    if harmed:
        variant, [(metric, e), *_] = next(iter(harmed.items()))
        return Verdict(
            status="guardrail_violated", winner=None, rules=tuple(rules),
            recommendation=(f"Stop '{variant}': {_describe(metric, e)}, significantly worse "
                            "on a guardrail."))

    sign = 1 if primary.higher_is_better else -1
    lead = max(primary.evidence, key=lambda e: sign * e.difference)
    equivalent = all(_equivalent(e, effect_scale, mpe) for e in primary.evidence)
    if equivalent or horizon_reached:
        why = (f"every interval lies within ±{label}" if equivalent
               else "the planned horizon is reached without a winner")
        rules.append(f"No difference: {why}")
        return Verdict(
            status="no_difference", winner=None, rules=tuple(rules),
            recommendation=(f"Keep the control '{primary.control}': "
                            f"{_describe(primary, lead)}; {why}."))
    rules.append("Keep running: no variant clears the rules yet")
    return Verdict(
        status="keep_running", winner=None, rules=tuple(rules),
        recommendation=(f"Keep running: {_describe(primary, lead)}, not yet enough to clear "
                        f"the minimum practical effect of {label}."))
