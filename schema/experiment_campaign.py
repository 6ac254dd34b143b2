"""A campaign's experiment: load its variants, settings and daily looks, run the engine.

Loading (``load_campaign``) runs in a worker thread with a session; ``analyze_campaign``
is pure and turns what was loaded into the primary analysis, one fixed-horizon family
per metric (the forest plot) and the always-valid monitor of the primary metric.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlmodel import Session

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
from server.db import models
from server.db.repository import experiments as repository


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


@dataclass(frozen=True)
class CampaignData:
    campaign: models.Campaign
    experiment: models.Experiment | None
    planned: tuple[models.CampaignVariant, ...]
    summaries: pl.DataFrame
    looks: pl.DataFrame
    start: datetime | None


@dataclass(frozen=True)
class CampaignAnalysis:
    data: CampaignData
    settings: Settings
    names: tuple[str, ...]
    horizon_reached: bool
    analysis: ExperimentAnalysis | None
    metrics: tuple[tuple[str, MetricEvidence], ...]
    monitor: SequentialResult | None
    look_days: tuple[int, ...]
    problem: str | None


def load_campaign(session: Session, campaign_id: str) -> CampaignData | None:
    """Everything the analysis needs about ``campaign_id``; None when it does not exist."""
    campaign = session.get(models.Campaign, campaign_id)
    if campaign is None:
        return None
    return CampaignData(
        campaign=campaign,
        experiment=repository.get_experiment(session=session, campaign_id=campaign_id),
        planned=tuple(repository.planned_variants(session=session, campaign_id=campaign_id)),
        summaries=repository.variant_summaries(session=session, campaign_id=campaign_id),
        looks=repository.daily_looks(session=session, campaign_id=campaign_id),
        start=repository.campaign_start(session=session, campaign_id=campaign_id),
    )


def settings_of(data: CampaignData) -> Settings:
    planned = {v.variant_id: float(v.weight) for v in data.planned}
    row = data.experiment
    if row is None:
        return Settings(primary_metric="click_rate", method="fixed", alpha=0.05,
                        correction="holm", minimum_effect=0.0, effect_scale="relative",
                        guardrails=models.DEFAULT_GUARDRAILS, weights=planned, control=None,
                        horizon_days=7, webhook_url=None, saved=False)
    weights = json.loads(row.planned_weights) if row.planned_weights else planned
    return Settings(primary_metric=row.primary_metric, method=row.method, alpha=row.alpha,
                    correction=row.correction, minimum_effect=row.minimum_effect,
                    effect_scale=row.effect_scale, guardrails=tuple(json.loads(row.guardrails)),
                    weights={str(k): float(v) for k, v in weights.items()},
                    control=row.control_variant, horizon_days=row.horizon_days,
                    webhook_url=row.webhook_url, saved=True)


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
            days.append(int(day))  # type: ignore[call-overload]
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


def analyze_campaign(data: CampaignData, *, now: datetime,
                     draws: int = 100_000) -> CampaignAnalysis:
    """The campaign's experiment under its settings (see the module docstring)."""
    settings = settings_of(data)
    rows = data.summaries.to_dicts()
    names = [str(r["variant_id"]) for r in rows]
    horizon = bool(data.start is not None and settings.horizon_days is not None
                   and now >= data.start + timedelta(days=settings.horizon_days))
    problem = _problem(names, rows, settings.weights)
    empty = CampaignAnalysis(data=data, settings=settings, names=tuple(names),
                             horizon_reached=horizon, analysis=None, metrics=(), monitor=None,
                             look_days=(), problem=problem)
    if problem is not None:
        return empty
    control = settings.control if settings.control in names else names[0]
    spec = METRICS[settings.primary_metric]
    looks, days = _looks(data.looks, spec)
    if not looks:
        return replace(empty, problem="No delivered sends yet.")
    guardrails = {METRICS[g].label: [variant_input(METRICS[g], r) for r in rows]
                  for g in settings.guardrails}
    analysis = analyze_experiment(
        looks[-1], metric=spec.kind, method=settings.method, alpha=settings.alpha,
        correction=settings.correction, control=control,
        weights=[settings.weights[n] for n in names], looks=looks, guardrails=guardrails,
        metric_name=spec.label, minimum_effect=settings.minimum_effect,
        effect_scale=settings.effect_scale, horizon_reached=horizon, draws=draws)
    monitor = analysis.sequential or sequential_test(
        looks, metric=spec.kind, control=control, alpha=settings.alpha,
        correction=settings.correction)
    families = []
    for key, metric in METRICS.items():
        family = metric_family(metric, rows, control, settings.alpha, settings.correction)
        if family is not None:
            families.append((key, family))
    return CampaignAnalysis(data=data, settings=settings, names=tuple(names),
                            horizon_reached=horizon, analysis=analysis,
                            metrics=tuple(families), monitor=monitor, look_days=tuple(days),
                            problem=None)
