"""A campaign's A/B test from its variant summaries and daily looks.

Pure: the caller loads the settings, the per-variant summaries and the looks (a frame of
cumulative counters per day and variant); this module turns them into the primary
analysis, one fixed-horizon family per metric (the forest plot) and the always-valid
monitor of the primary metric. It also holds the policy of the experiment's writes:
which settings are acceptable and when the data support declaring a winner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from analytics.experiments import (
    ExperimentAnalysis,
    MetricEvidence,
    SequentialResult,
    adjust_comparisons,
    analyze_experiment,
    compare_ratios,
    evidence_from_fixed,
    pairwise_means,
    proportions_test,
    sequential_test,
)


@dataclass(frozen=True)
class MetricSpec:
    key: str
    label: str
    kind: str  # "proportion", "mean" or "ratio"
    column: str | None
    higher_is_better: bool = True


METRICS: dict[str, MetricSpec] = {spec.key: spec for spec in (
    MetricSpec("open_rate", "open rate", "proportion", "opens"),
    MetricSpec("click_rate", "click rate", "proportion", "clicks"),
    MetricSpec("conversion_rate", "conversion rate", "proportion", "conversions"),
    MetricSpec("revenue_per_recipient", "revenue per recipient", "mean", None),
    MetricSpec("click_to_open_rate", "click-to-open rate", "ratio", None),
    MetricSpec("unsubscribe_rate", "unsubscribe rate", "proportion", "unsubscribes", False),
    MetricSpec("complaint_rate", "complaint rate", "proportion", "complaints", False),
)}
# The engine's verdict wants more of the primary metric, and guardrails are rates where
# more is worse; click-to-open is shown but never decides (its denominator moves too).
PRIMARY_METRICS = ("open_rate", "click_rate", "conversion_rate", "revenue_per_recipient")
GUARDRAIL_METRICS = ("unsubscribe_rate", "complaint_rate")


@dataclass(frozen=True)
class Settings:
    """The experiment's settings: stored by createExperiment, else the defaults."""

    primary_metric: str
    method: str
    alpha: float
    correction: str
    minimum_effect: float
    effect_scale: str
    guardrails: tuple[str, ...]
    weights: dict[str, float]
    control: str | None
    horizon_days: int | None
    webhook_url: str | None
    saved: bool


# A campaign whose experiment was never saved runs under these (with the campaign's own
# variant weights); the API's input defaults and the settings form read them from here.
DEFAULT_SETTINGS = Settings(
    primary_metric="click_rate", method="fixed", alpha=0.05, correction="holm",
    minimum_effect=0.0, effect_scale="relative", guardrails=GUARDRAIL_METRICS, weights={},
    control=None, horizon_days=7, webhook_url=None, saved=False)


@dataclass(frozen=True)
class CampaignTest:
    """The campaign's test under ``settings``: ``problem`` says why there is no analysis."""

    settings: Settings
    names: tuple[str, ...]
    horizon_reached: bool
    analysis: ExperimentAnalysis | None
    metrics: tuple[tuple[str, MetricEvidence], ...]
    monitor: SequentialResult | None
    look_days: tuple[int, ...]
    problem: str | None


def variant_input(spec: MetricSpec, row: dict[str, Any]) -> dict[str, Any]:
    """One variant's engine input for ``spec`` from a summary or look row."""
    name, n = row["variant_id"], int(row["delivered"])
    if spec.kind == "proportion":
        return {"name": name, "n": n, "conversions": int(row[spec.column or ""])}
    if spec.kind == "mean":
        return {"name": name, "n": n, "sum": float(row["revenue_sum"]),
                "sum_squares": float(row["revenue_sum_squares"])}
    clicks, opens = float(row["clicks"]), float(row["opens"])
    return {"name": name, "n": n, "sum_x": clicks, "sum_y": opens, "sum_x2": clicks,
            "sum_y2": opens, "sum_xy": float(row["clicks_and_opens"])}


def _looks(frame: pl.DataFrame, spec: MetricSpec) -> tuple[list[list[dict[str, Any]]], list[int]]:
    looks, days = [], []
    for (day,), group in frame.group_by("day", maintain_order=True):
        rows = group.to_dicts()
        # A look joins once every variant has two deliveries: before that no test (and
        # no variance of a mean) exists.
        if min(int(r["delivered"]) for r in rows) >= 2:
            looks.append([variant_input(spec, r) for r in rows])
            days.append(int(day))
    return looks, days


def metric_family(spec: MetricSpec, rows: Sequence[dict[str, Any]], control: str,
                  alpha: float, correction: str) -> MetricEvidence | None:
    """Every variant against the control on one metric, fixed-horizon and adjusted;
    None when the data cannot support the test yet (e.g. no opens for click-to-open)."""
    inputs = [variant_input(spec, row) for row in rows]
    try:
        if spec.kind == "proportion":
            raw = proportions_test(inputs, control=control, alpha=alpha).comparisons
        elif spec.kind == "mean":
            raw = pairwise_means(inputs, control=control, alpha=alpha)
        else:
            base = next(i for i in inputs if i["name"] == control)
            raw = tuple(compare_ratios(base, other, alpha=alpha)
                        for other in inputs if other["name"] != control)
    except ValueError:
        return None
    adjusted = adjust_comparisons(raw, correction=correction, alpha=alpha)
    return evidence_from_fixed(spec.label, spec.kind, adjusted,
                               higher_is_better=spec.higher_is_better)


def _problem(names: list[str], rows: list[dict[str, Any]], weights: dict[str, float]) -> str | None:
    if len(names) < 2 or "" in names:
        return ("This campaign is not an A/B test: it needs at least two variants. Import "
                "its variants (campaign_variant) and sends that name them.")
    missing = [n for n in names if n not in weights]
    if missing:
        return (f"Variant '{missing[0]}' has sends but no planned weight: add it to the "
                "campaign's variants or to the experiment's planned weights.")
    short = [r for r in rows if int(r["delivered"]) < 2]
    if short:
        return (f"Variant '{short[0]['variant_id']}' has {short[0]['delivered']} delivered "
                "send(s): results appear once every variant has at least 2.")
    return None


def analyze_campaign_test(settings: Settings, summaries: pl.DataFrame, looks: pl.DataFrame,
                          start: datetime | None, *, now: datetime,
                          draws: int = 100_000) -> CampaignTest:
    """The campaign's test under ``settings`` (see the module docstring)."""
    rows = summaries.to_dicts()
    names = [str(r["variant_id"]) for r in rows]
    horizon = bool(start is not None and settings.horizon_days is not None
                   and now >= start + timedelta(days=settings.horizon_days))
    problem = _problem(names, rows, settings.weights)
    empty = CampaignTest(settings=settings, names=tuple(names),
                         horizon_reached=horizon, analysis=None, metrics=(), monitor=None,
                         look_days=(), problem=problem)
    if problem is not None:
        return empty
    control = settings.control if settings.control in names else names[0]
    spec = METRICS[settings.primary_metric]
    inputs, days = _looks(looks, spec)
    if not inputs:
        return replace(empty, problem="No delivered sends yet.")
    guardrails = {METRICS[g].label: [variant_input(METRICS[g], r) for r in rows]
                  for g in settings.guardrails}
    analysis = analyze_experiment(
        inputs[-1], metric=spec.kind, method=settings.method, alpha=settings.alpha,
        correction=settings.correction, control=control,
        weights=[settings.weights[n] for n in names], looks=inputs, guardrails=guardrails,
        metric_name=spec.label, minimum_effect=settings.minimum_effect,
        effect_scale=settings.effect_scale, horizon_reached=horizon, draws=draws)
    monitor = analysis.sequential or sequential_test(
        inputs, metric=spec.kind, control=control, alpha=settings.alpha,
        correction=settings.correction)
    families = []
    for key, metric in METRICS.items():
        family = metric_family(metric, rows, control, settings.alpha, settings.correction)
        if family is not None:
            families.append((key, family))
    return CampaignTest(settings=settings, names=tuple(names), horizon_reached=horizon,
                        analysis=analysis, metrics=tuple(families), monitor=monitor,
                        look_days=tuple(days), problem=None)


@dataclass(frozen=True)
class Problem:
    """An input the policy refuses: ``field`` names it (as the API spells it)."""

    field: str
    message: str


@dataclass(frozen=True)
class SettingsChange:
    """Settings to store for a campaign's experiment, as the caller gave them."""

    primary_metric: str
    method: str
    alpha: float
    correction: str
    minimum_effect: float
    effect_scale: str
    guardrails: tuple[str, ...] | None
    planned_weights: tuple[tuple[str, float], ...] | None
    control: str | None
    horizon_days: int | None
    webhook_url: str | None


def settings_problem(change: SettingsChange, variants: Sequence[str]) -> Problem | None:
    """Why ``change`` cannot be stored for a campaign with ``variants``; None when it can.
    (The webhook address is the caller's to check.)"""
    metric = change.primary_metric
    if metric not in PRIMARY_METRICS:
        allowed = ", ".join(m.upper() for m in PRIMARY_METRICS)
        return Problem("primaryMetric", (
            f"primaryMetric {metric.upper()} cannot decide a test (higher must be better and "
            f"the denominator fixed): use one of {allowed}"))
    if change.method == "bayesian" and METRICS[metric].kind != "proportion":
        return Problem("method", (
            "method BAYESIAN supports rates only: use FIXED or SEQUENTIAL for "
            "REVENUE_PER_RECIPIENT"))
    if not 0 < change.alpha < 1:
        return Problem("alpha", (
            f"alpha={change.alpha} is not a probability: use a number between 0 and 1, such "
            "as 0.05"))
    if not change.minimum_effect >= 0:
        return Problem("minimumEffect", (
            f"minimumEffect={change.minimum_effect} is negative: give the smallest change "
            "worth shipping as a number ≥ 0"))
    for guardrail in change.guardrails or ():
        if guardrail not in GUARDRAIL_METRICS:
            return Problem("guardrails", (
                f"guardrails: {guardrail.upper()} is not a rate where higher is worse; use "
                "UNSUBSCRIBE_RATE and/or COMPLAINT_RATE"))
    names = list(variants)
    for i, (variant, weight) in enumerate(change.planned_weights or ()):
        if variant not in names:
            return Problem(f"plannedWeights[{i}].variant", (
                f"plannedWeights[{i}].variant='{variant}' is not a variant of the "
                f"campaign: use one of {', '.join(names) or '(none yet)'}"))
        if not 0 < weight < float("inf"):
            return Problem(f"plannedWeights[{i}].weight", (
                f"plannedWeights[{i}].weight={weight} is not a planned share: use a "
                "positive number such as 0.5"))
    if change.control is not None and change.control not in names:
        return Problem("control", (
            f"control='{change.control}' is not a variant of the campaign: use one of "
            f"{', '.join(names) or '(none yet)'}"))
    if change.horizon_days is not None and not 0 < change.horizon_days <= 365:
        return Problem("horizonDays", (
            f"horizonDays={change.horizon_days} is out of range: use 1 to 365 days, or null "
            "for no horizon"))
    return None


@dataclass(frozen=True)
class WinnerRefusal:
    """The data do not support the winner; ``message`` says why and what to do."""

    message: str
    analysis: ExperimentAnalysis | None
    srm_mismatch: bool


def winner_refusal(test: CampaignTest, variant: str) -> WinnerRefusal | None:
    """Why the data do not support ``variant`` as the winner; None when they do."""
    analysis = test.analysis
    if analysis is None:
        return WinnerRefusal(f"No verdict yet: {test.problem} Declare with force and a "
                             "reason to override.", None, False)
    if analysis.srm.mismatch:
        return WinnerRefusal((
            f"Sample ratio mismatch (p = {analysis.srm.p_value:.2g}): the split is broken, so "
            "no result can be trusted. Fix assignment or delivery and rerun the test, or "
            "declare with force and a reason."), analysis, True)
    if analysis.verdict.winner != variant:
        found = (f"the verdict's winner is '{analysis.verdict.winner}'"
                 if analysis.verdict.winner else "the verdict names no winner")
        return WinnerRefusal((
            f"'{variant}' is not supported as the winner: {found} "
            f"({analysis.verdict.recommendation}) Declare with force and a reason to "
            "override."), analysis, False)
    return None
