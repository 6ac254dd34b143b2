"""A campaign's experiment: load its variants, settings and daily looks, run the
engine (``analytics.experiments.campaign``), and apply the writes' policy: saving the
settings and declaring a winner. Blocking (SQL and numpy); resolvers call it in threads.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.experiments.campaign import (
    DEFAULT_SETTINGS,
    CampaignTest,
    Problem,
    Settings,
    SettingsChange,
    WinnerRefusal,
    analyze_campaign_test,
    settings_problem,
    winner_refusal,
)
from server.db import models
from server.db.repository import experiments as repository
from server.db.repository.jobs import get_job_run

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampaignData:
    campaign: models.Campaign
    experiment: models.Experiment | None
    planned: tuple[models.CampaignVariant, ...]
    summaries: pl.DataFrame
    looks: pl.DataFrame
    start: datetime | None


@dataclass(frozen=True)
class CampaignAnalysis(CampaignTest):
    """The test with what it was computed from."""

    data: CampaignData


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
        return replace(DEFAULT_SETTINGS, weights=planned)
    weights = json.loads(row.planned_weights) if row.planned_weights else planned
    return Settings(primary_metric=row.primary_metric, method=row.method, alpha=row.alpha,
                    correction=row.correction, minimum_effect=row.minimum_effect,
                    effect_scale=row.effect_scale, guardrails=tuple(json.loads(row.guardrails)),
                    weights={str(k): float(v) for k, v in weights.items()},
                    control=row.control_variant, horizon_days=row.horizon_days,
                    webhook_url=row.webhook_url, saved=True)


def analyze_campaign(data: CampaignData, *, now: datetime,
                     draws: int = 100_000) -> CampaignAnalysis:
    """The campaign's experiment under its stored (or default) settings."""
    test = analyze_campaign_test(settings_of(data), data.summaries, data.looks, data.start,
                                 now=now, draws=draws)
    return CampaignAnalysis(**{f.name: getattr(test, f.name) for f in fields(test)},
                            data=data)


REASON_MAX = 2000


@dataclass(frozen=True)
class Missing:
    """No campaign has ``id``; ``message`` says where to look."""

    id: str
    message: str


def _missing(campaign_id: str) -> Missing:
    return Missing(id=campaign_id, message=f"No campaign has id {campaign_id!r}; check the "
                                           "id on the campaigns page.")


def campaign_analysis(engine: Engine, campaign_id: str) -> CampaignAnalysis | None:
    """The experiment of ``campaign_id`` now; None when the campaign does not exist."""
    with Session(engine, expire_on_commit=False) as session:
        data = load_campaign(session, campaign_id)
    return None if data is None else analyze_campaign(data, now=datetime.now(UTC))


def save_settings(engine: Engine, campaign_id: str,
                  change: SettingsChange) -> models.Experiment | Problem | Missing:
    """Store ``change`` as the campaign's experiment settings, unless refused."""
    with Session(engine, expire_on_commit=False) as session:
        data = load_campaign(session, campaign_id)
        if data is None:
            return _missing(campaign_id)
        problem = settings_problem(change, [v.variant_id for v in data.planned])
        if problem is None and change.webhook_url:
            url_problem = models.webhook_url_problem(change.webhook_url)
            if url_problem:
                problem = Problem("webhookUrl", f"webhookUrl {url_problem}")
        if problem is not None:
            return problem
        if data.experiment is not None and data.experiment.status == "decided":
            return Problem("campaignId", (
                f"The experiment of campaign {campaign_id!r} is decided (winner "
                f"'{data.experiment.winner_variant}'); its settings are final. Run a new "
                "campaign to test again."))
        guardrails = list(change.guardrails) if change.guardrails is not None \
            else list(DEFAULT_SETTINGS.guardrails)
        weights = None if not change.planned_weights else json.dumps(
            dict(change.planned_weights), sort_keys=True)
        row = repository.save_experiment(session=session, experiment_in=models.ExperimentCreate(
            campaign_id=campaign_id, primary_metric=change.primary_metric,
            method=change.method, alpha=change.alpha, correction=change.correction,
            minimum_effect=change.minimum_effect, effect_scale=change.effect_scale,
            guardrails=json.dumps(guardrails), planned_weights=weights,
            control_variant=change.control, horizon_days=change.horizon_days,
            webhook_url=change.webhook_url or None))
        session.commit()
        return row


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def declare_winner(engine: Engine, campaign_id: str, variant: str, *, force: bool,
                   reason: str | None, declared_by: str,
                   ) -> models.Experiment | Problem | Missing | WinnerRefusal:
    """Record ``variant`` as the winner when the data support it (or ``force`` with a
    reason); refused while the sample ratio is broken or the verdict names another."""
    result = campaign_analysis(engine, campaign_id)
    if result is None:
        return _missing(campaign_id)
    if variant not in result.names or variant == "":
        return Problem("variant", (
            f"variant='{variant}' is not a variant of campaign {campaign_id!r}: use one of "
            f"{', '.join(n for n in result.names if n) or '(none)'}"))
    reason = (reason or "").strip() or None
    if force and reason is None:
        return Problem("reason", (
            "reason is empty: a forced declaration must say why the data's verdict is "
            "overridden (it is recorded with the winner)"))
    if reason is not None and len(reason) > REASON_MAX:
        return Problem("reason", (
            f"reason is {len(reason)} characters long: keep it to {REASON_MAX}"))
    stored = result.data.experiment
    if stored is not None and stored.status == "decided":
        declared_at = f"{stored.declared_at:%Y-%m-%d %H:%M}" if stored.declared_at else "?"
        return WinnerRefusal((
            f"A winner was already declared: '{stored.winner_variant}' on "
            f"{declared_at} UTC by {stored.declared_by}."), None, False)
    if not force:
        refusal = winner_refusal(result, variant)
        if refusal is not None:
            return refusal
    lift = interval = None
    if result.analysis is not None:
        effect = next((e for e in result.analysis.primary.evidence if e.variant == variant),
                      None)
        if effect is not None:
            lift = _finite(effect.relative_lift)
            if effect.lift_interval is not None:
                interval = (_finite(effect.lift_interval.low),
                            _finite(effect.lift_interval.high))
    with Session(engine, expire_on_commit=False) as session:
        row = repository.get_experiment(session=session, campaign_id=campaign_id)
        if row is None:
            row = repository.save_experiment(
                session=session, experiment_in=models.ExperimentCreate(campaign_id=campaign_id))
        row = repository.record_winner(
            session=session, experiment_id=row.id or 0, winner=variant, lift=lift,
            lift_interval=interval, forced=force, reason=reason, declared_by=declared_by)
        session.commit()
    return row


def queue_winner_webhook(engine: Engine,
                         experiment_id: int) -> tuple[models.JobRun | None, str | None]:
    """Queue the POST of the declared winner: (its job row, None) or (None, the problem)."""
    from jobs.send import send

    try:
        job_id = send("experiment_webhook", experiment_id=experiment_id)
    except Exception as error:  # the broker is down: the winner stands, the POST waits
        log.warning("winner webhook of experiment %s not queued: %s", experiment_id, error)
        return None, (f"The winner is recorded but the webhook was not queued ({error}); "
                      "check the worker/broker.")
    with Session(engine) as session:
        return get_job_run(session=session, job_id=job_id), None


def get_experiment(engine: Engine, experiment_id: int) -> models.Experiment | None:
    with Session(engine, expire_on_commit=False) as session:
        return repository.get_experiment_by_id(session=session, experiment_id=experiment_id)
