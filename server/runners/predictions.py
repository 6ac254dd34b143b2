"""Predictions: train a model version from the stored data, score customers with it in
shards, activate and roll back, and read scores and explanations back.

Blocking (SQL, polars, LightGBM); resolvers call it in threads, actors and the CLI
directly. Training writes its version in one transaction when it ends and each scoring
shard writes in one transaction, so a worker killed mid-job leaves nothing half-written
and a retry simply runs again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.predictions import (
    Explanation,
    LifetimeModel,
    ServedModel,
    check_churn_data,
    check_engagement_data,
    check_lifetime_data,
    checksum,
    churn_labels,
    customer_features,
    load_model,
    order_histories,
    risk_levels,
    shard_of,
    train_churn,
    train_lifetime,
)
from analytics.predictions.churn import CHURN_FEATURES
from analytics.predictions.drift import drifted, population_stability, reference_bins
from analytics.predictions.engagement import engagement_pairs, train_engagement
from analytics.predictions.lifetime import LTV_FEATURES
from analytics.predictions.preferences import DEVICE_FEATURES, category_spend
from server.db.models import MODEL_KINDS, SCORED_KINDS, ModelVersion, ScoreRun
from server.db.repository import predictions as repo
from server.settings import Settings

Progress = Callable[[float, str], None]
MIN_HORIZON_DAYS, MAX_HORIZON_DAYS = 1, 730
# The export's columns; models not built yet leave theirs empty.
EXPORT_COLUMNS = ("customer_id", "churn_probability", "risk_level", "expected_orders",
                  "predicted_clv", "p_alive", "best_send_hour", "churn_model_version",
                  "ltv_model_version")


def _quiet(_share: float, _detail: str) -> None:
    return None


def check_kind(kind: str) -> str:
    """``kind`` lower-cased; raises ``ValueError`` naming the known kinds."""
    name = kind.strip().lower()
    if name not in MODEL_KINDS:
        raise ValueError(f"kind {kind!r} is unknown; choose one of {', '.join(MODEL_KINDS)}")
    return name


def default_horizon_days(kind: str, settings: Settings) -> int:
    """The horizon ``kind`` trains for when none is given (a setting per kind)."""
    if check_kind(kind) == "ltv":
        return settings.ltv_horizon_days
    return settings.churn_horizon_days


@dataclass(frozen=True)
class TrainParams:
    """What to train: ``kind`` with labels up to ``as_of`` (None: the latest data) over
    windows of ``horizon_days``."""

    kind: str
    horizon_days: int
    as_of: datetime | None = None
    num_threads: int = 1

    def validate(self) -> None:
        check_kind(self.kind)
        if not MIN_HORIZON_DAYS <= self.horizon_days <= MAX_HORIZON_DAYS:
            raise ValueError(f"horizonDays must be between {MIN_HORIZON_DAYS} and "
                             f"{MAX_HORIZON_DAYS}, got {self.horizon_days}; 60 looks two "
                             "months ahead")
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise ValueError(f"asOf {self.as_of.isoformat()} has no timezone; add one, e.g. "
                             "2026-06-01T00:00:00Z")


def _data_end(engine: Engine) -> tuple[datetime | None, datetime]:
    first, last = repo.data_span(engine=engine)
    if last is None:
        raise ValueError("there is no data to model: import orders or sends first "
                         "(`mailscope import orders FILE`, `mailscope demo load`)")
    # Just after the last row, so the last day's data counts as history.
    return first, last + timedelta(microseconds=1)


def _features(frames: dict[str, pl.DataFrame], cutoff: datetime) -> pl.DataFrame:
    """Every customer's features at ``cutoff``, with device and category preferences
    when ``frames`` holds their inputs: ``agent_counts`` (``repo.read_agent_counts``,
    with a column for ``cutoff``) or one customer's ``events``, ``items`` and
    ``products``."""
    counts, column = frames.get("agent_counts"), repo.count_column(cutoff)
    agents = (None if counts is None or column not in counts.columns
              else counts.select("customer_id", "user_agent", n=column))
    return customer_features(frames["customers"], frames["orders"], frames["messages"],
                             cutoff=cutoff, events=frames.get("events"), agent_counts=agents,
                             items=frames.get("items"), products=frames.get("products"))


# The customer features each kind's LightGBM model is trained on, when fixed (the
# engagement models take pair features and leave the customers' preferences out).
_KIND_FEATURES: dict[str, Sequence[str]] = {"churn": CHURN_FEATURES, "ltv": LTV_FEATURES}


def _device_counts(engine: Engine, names: Sequence[str],
                   cutoffs: Sequence[datetime]) -> dict[str, pl.DataFrame]:
    """``agent_counts`` for ``_features`` when ``names`` holds a device feature, else
    nothing: counting devices scans the event log, the largest table (about 18 s of CPU
    at scale M on SQLite), so only models that use them pay for it."""
    if not set(names) & set(DEVICE_FEATURES):
        return {}
    return {"agent_counts": repo.read_agent_counts(engine=engine, cutoffs=cutoffs)}


def _labelled(frames: dict[str, pl.DataFrame], cutoff: datetime,
              horizon_days: int) -> pl.DataFrame:
    features = _features(frames, cutoff)
    labels = churn_labels(frames["orders"], frames["messages"], features["customer_id"],
                          cutoff=cutoff, horizon_days=horizon_days)
    return features.join(labels, on="customer_id")


def train_model(engine: Engine, params: TrainParams, *, progress: Progress = _quiet,
                job_id: int | None = None) -> ModelVersion:
    """Train ``params.kind`` and store the version (active when its kind has none).

    Windows: training features at ``as_of − 2·horizon`` with outcomes over the next
    horizon, holdout features at ``as_of − horizon`` with outcomes up to ``as_of``.
    Raises ``InsufficientData`` (a ``ValueError``) when the data-sufficiency gate
    refuses.
    """
    params.validate()
    progress(0.05, "reading orders, sends, opens and customers")
    first, end = _data_end(engine)
    as_of = params.as_of or end
    horizon = timedelta(days=params.horizon_days)
    window = _Window(first=first, train_cutoff=as_of - 2 * horizon,
                     holdout_cutoff=as_of - horizon, as_of=as_of)
    kind = check_kind(params.kind)
    frames = {**repo.read_inputs(engine=engine),
              **repo.read_preference_inputs(engine=engine, before=as_of),
              # Features are built at the two cutoffs and, for the drift reference, as_of.
              **_device_counts(engine, _KIND_FEATURES.get(kind, ()), (
                  window.train_cutoff, window.holdout_cutoff, window.as_of))}
    progress(0.25, "building point-in-time features")
    if kind in ("open", "click"):
        frames = {**frames, **repo.read_engagement_inputs(engine=engine)}
    train = {"ltv": _train_lifetime, "churn": _train_churn}.get(kind, _train_engagement)
    version = train(frames, window, params, progress)
    version.job_id = job_id
    version.checksum = checksum(version.artifact)
    with Session(engine, expire_on_commit=False) as session:
        repo.create_model_version(session=session, version=version)
        session.commit()
    progress(1.0, f"version {version.id}: {version.served} served")
    return version


@dataclass(frozen=True)
class _Window:
    first: datetime | None
    train_cutoff: datetime
    holdout_cutoff: datetime
    as_of: datetime

    @property
    def history_days(self) -> float:
        if self.first is None:
            return 0.0
        return max(0.0, (self.train_cutoff - self.first).total_seconds() / 86_400)


def _row(window: _Window, params: TrainParams, **values: Any) -> ModelVersion:
    return ModelVersion(kind=params.kind, data_from=window.first,
                        train_cutoff=window.train_cutoff,
                        holdout_cutoff=window.holdout_cutoff, data_to=window.as_of,
                        horizon_days=params.horizon_days, checksum="", **values)


def _reference(frames: dict[str, pl.DataFrame], window: _Window,
               features: Sequence[str]) -> dict[str, Any]:
    """The feature names and the drift reference: the distribution of each feature over
    the population at the end of the data window, where a scoring right after training
    stands (the holdout population, a horizon earlier, differs from it by the time
    between: ages, lifetime counts, where the campaign cadence stood)."""
    population = _features(frames, window.as_of)
    return {"names": list(features), "reference": reference_bins(population, features),
            "reference_at": window.as_of.isoformat()}


def _train_churn(frames: dict[str, pl.DataFrame], window: _Window, params: TrainParams,
                 progress: Progress) -> ModelVersion:
    train = _labelled(frames, window.train_cutoff, params.horizon_days)
    check_churn_data(customers=train.height, churned=int(train["churned"].sum()),
                     history_days=window.history_days, horizon_days=params.horizon_days)
    holdout = _labelled(frames, window.holdout_cutoff, params.horizon_days)
    progress(0.45, f"training on {train.height:,} customers")
    trained = train_churn(train, holdout, features=_KIND_FEATURES["churn"],
                          num_threads=params.num_threads)
    progress(0.9, "storing the version")
    return _row(
        window, params, served=trained.served, reason=trained.reason,
        metrics=json.dumps({
            "type": "classifier",
            "model": {**trained.model_metrics.as_dict(),
                      "count": trained.model_metrics.count,
                      "positive_rate": trained.model_metrics.positive_rate},
            "baseline": trained.baseline_metrics.as_dict(),
            "best_iteration": trained.best_iteration}),
        calibration=json.dumps({
            name: [vars(b) for b in metrics.calibration] for name, metrics in
            (("model", trained.model_metrics), ("baseline", trained.baseline_metrics))}),
        importance=json.dumps(dict(trained.importance)),
        features=json.dumps(_reference(frames, window, trained.features)),
        train_rows=trained.train_rows, holdout_rows=trained.holdout_rows,
        artifact=trained.artifact)


def _train_engagement(frames: dict[str, pl.DataFrame], window: _Window, params: TrainParams,
                      progress: Progress) -> ModelVersion:
    def pairs(start: datetime, end: datetime) -> pl.DataFrame:
        features = _features(frames, start)
        spend = category_spend(frames["items"], frames["products"], cutoff=start)
        return engagement_pairs(frames["sends"], frames["campaigns"], features,
                                start=start, end=end, spend=spend)

    train = pairs(window.train_cutoff, window.holdout_cutoff)
    engaged = train.filter(pl.col(params.kind))["customer_id"].n_unique()
    check_engagement_data(target=params.kind, sends=train.height, engaged_recipients=engaged,
                          horizon_days=params.horizon_days)
    holdout = pairs(window.holdout_cutoff, window.as_of)
    progress(0.45, f"training on {train.height:,} sends")
    trained = train_engagement(train, holdout, target=params.kind,
                               num_threads=params.num_threads)
    progress(0.9, "storing the version")
    return _row(
        window, params, served=trained.served, reason=trained.reason,
        metrics=json.dumps({
            "type": "classifier",
            "model": {**trained.model_metrics.as_dict(),
                      "count": trained.model_metrics.count,
                      "positive_rate": trained.model_metrics.positive_rate},
            "baseline": trained.baseline_metrics.as_dict(),
            "best_iteration": trained.best_iteration}),
        calibration=json.dumps({
            name: [vars(b) for b in metrics.calibration] for name, metrics in
            (("model", trained.model_metrics), ("baseline", trained.baseline_metrics))}),
        importance=json.dumps(dict(trained.importance)),
        features=json.dumps({"names": list(trained.features), "reference": {}}),
        train_rows=trained.train_rows, holdout_rows=trained.holdout_rows,
        artifact=trained.artifact)


def _train_lifetime(frames: dict[str, pl.DataFrame], window: _Window, params: TrainParams,
                    progress: Progress) -> ModelVersion:
    features = list(_KIND_FEATURES["ltv"])
    train = _features(frames, window.train_cutoff)
    holdout = _features(frames, window.holdout_cutoff)
    histories = order_histories(frames["orders"], holdout["customer_id"],
                                cutoff=window.holdout_cutoff)
    buyers = histories.filter(pl.col("monetary").is_not_null())
    first_order = frames["orders"]["occurred_at"].min()
    order_days = history_days = 0.0
    if isinstance(first_order, datetime):
        order_days = (window.as_of - first_order).total_seconds() / 86_400
        history_days = max(0.0, (window.train_cutoff - first_order).total_seconds() / 86_400)
    check_lifetime_data(buyers=buyers.height,
                        repeat_buyers=int((buyers["x"] > 0).sum()),
                        history_days=history_days, horizon_days=params.horizon_days,
                        order_days=order_days)
    progress(0.45, f"fitting BG/NBD and training LightGBM on {train.height:,} customers")
    trained = train_lifetime(frames["orders"], train, holdout,
                             train_cutoff=window.train_cutoff,
                             holdout_cutoff=window.holdout_cutoff,
                             horizon_days=params.horizon_days, features=features,
                             num_threads=params.num_threads)
    progress(0.9, "storing the version")
    return _row(
        window, params, served=trained.served, reason=trained.reason,
        metrics=json.dumps({
            "type": "regression",
            "model": trained.model_metrics.as_dict(),
            "baseline": trained.baseline_metrics.as_dict(),
            "count": trained.model_metrics.count,
            "bgnbd": vars(trained.bgnbd), "gamma_gamma": vars(trained.spend),
            "holdout_bgnbd": vars(trained.holdout_bgnbd),
            "holdout_gamma_gamma": vars(trained.holdout_spend)}),
        calibration=json.dumps({"model": [], "baseline": []}),
        importance=json.dumps(dict(trained.importance)),
        features=json.dumps(_reference(frames, window, features)),
        train_rows=train.height, holdout_rows=holdout.height, artifact=trained.artifact)


def _version(session: Session, version_id: int) -> ModelVersion:
    version = repo.get_model_version(session=session, version_id=version_id)
    if version is None:
        raise LookupError(f"model version {version_id} does not exist; list versions with "
                          "the models query or `mailscope jobs list`")
    return version


def _served(version: ModelVersion) -> ServedModel | LifetimeModel:
    if checksum(version.artifact) != version.checksum:
        raise ValueError(f"model version {version.id}: the artifact's checksum does not "
                         "match the registry; retrain the model")
    return load_model(version.artifact)


def start_scoring(engine: Engine, version_id: int, *, shards: int,
                  as_of: datetime | None = None) -> ScoreRun:
    """Open a scoring run of ``version_id`` over ``shards`` shards at ``as_of`` (None:
    the latest data), fixed once so every shard scores the same moment."""
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    with Session(engine, expire_on_commit=False) as session:
        kind = _version(session, version_id).kind
    if kind not in SCORED_KINDS:
        raise ValueError(f"{kind} models score (customer, campaign) pairs on demand, not "
                         "every customer; score churn or ltv")
    when = as_of or _data_end(engine)[1]
    with Session(engine, expire_on_commit=False) as session:
        run = repo.create_score_run(session=session, version=_version(session, version_id),
                                    as_of=when, shards=shards)
        session.commit()
    return run


def _shard_inputs(frames: dict[str, pl.DataFrame], shard: int,
                  shards: int) -> dict[str, pl.DataFrame]:
    """The rows of the customers in ``shard`` (frames not per customer, the products,
    whole)."""
    if shards == 1:
        return frames
    ids = pl.concat([frame.select("customer_id") for frame in frames.values()
                     if "customer_id" in frame.columns]).unique()
    mine = ids.filter(pl.Series(shard_of(ids["customer_id"], shards) == shard))
    return {name: frame.join(mine, on="customer_id", how="semi")
            if "customer_id" in frame.columns else frame
            for name, frame in frames.items()}


@dataclass(frozen=True)
class ShardResult:
    run_id: int
    shard: int
    rows: int
    published: bool
    drift_warning: str | None
    kind: str


def score_shard(engine: Engine, run_id: int, shard: int, *,
                progress: Progress = _quiet, num_threads: int = 1) -> ShardResult:
    """Score the customers of ``shard`` in run ``run_id`` and write them in one
    transaction; the shard that completes the run publishes it. Safe to run twice."""
    with Session(engine, expire_on_commit=False) as session:
        run = repo.get_score_run(session=session, run_id=run_id)
        if run is None:
            raise LookupError(f"score run {run_id} does not exist")
        version = _version(session, run.version_id)
    model = _served(version)
    progress(0.1, "reading orders, sends, opens and customers")
    frames = _shard_inputs({
        **repo.read_inputs(engine=engine),
        **repo.read_preference_inputs(engine=engine, before=run.as_of),
        **_device_counts(engine, json.loads(version.features)["names"], (run.as_of,))},
        shard, run.shards)
    progress(0.4, "building features")
    # Features are per customer, so building them from the shard's rows alone gives the
    # same values as building them for everyone: each worker does only its share.
    mine = _features(frames, run.as_of)
    warning = None
    if shard == 0:
        # The first shard (a hash-chosen share of the customers) stands for the
        # population in the drift check.
        stored = json.loads(version.features)
        # Age-aware: ages are compared as they are and as old as the reference
        # population was (versions from before "reference_at" took the holdout's).
        reference_at = (datetime.fromisoformat(stored["reference_at"])
                        if "reference_at" in stored else version.holdout_cutoff)
        elapsed = max(0.0, (run.as_of - reference_at).total_seconds() / 86_400)
        stability = population_stability(stored.get("reference", {}), mine,
                                         elapsed_days=elapsed)
        repo.set_run_drift(engine=engine, run_id=run_id, drift=json.dumps(stability))
        moved = drifted(stability)
        if moved:
            warning = (f"features drifted since training (PSI > 0.25): {', '.join(moved)}; "
                       "consider retraining")
    progress(0.6, f"scoring {mine.height:,} customers")
    if isinstance(model, LifetimeModel):
        histories = order_histories(frames["orders"], mine["customer_id"], cutoff=run.as_of)
        forecast = model.forecast(mine, histories, num_threads=num_threads)
        scores = pl.DataFrame({"customer_id": mine["customer_id"],
                               "expected_orders": forecast.expected_orders,
                               "predicted_value": forecast.predicted_value,
                               "p_alive": forecast.p_alive},
                              schema={"customer_id": pl.String(),
                                      "expected_orders": pl.Float64(),
                                      "predicted_value": pl.Float64(),
                                      "p_alive": pl.Float64()})
    else:
        probability = (model.predict(mine, num_threads=num_threads) if mine.height
                       else np.array([]))
        scores = pl.DataFrame({"customer_id": mine["customer_id"],
                               "probability": pl.Series(probability, dtype=pl.Float64),
                               "risk_level": risk_levels(probability)},
                              schema={"customer_id": pl.String(),
                                      "probability": pl.Float64(),
                                      "risk_level": pl.String()})
    progress(0.8, "writing scores")
    written = repo.write_score_shard(engine=engine, run_id=run_id, shard=shard, scores=scores)
    progress(1.0, f"{mine.height:,} customers scored")
    return ShardResult(run_id=run_id, shard=shard, rows=mine.height,
                       published=written.completed_at is not None, drift_warning=warning,
                       kind=version.kind)


def activate(engine: Engine, version_id: int) -> ModelVersion:
    """Make ``version_id`` the active version of its kind (also rolls back)."""
    with Session(engine, expire_on_commit=False) as session:
        _version(session, version_id)
        version = repo.activate_model_version(session=session, version_id=version_id)
        session.commit()
    return version


def active_version(engine: Engine, kind: str) -> ModelVersion | None:
    with Session(engine, expire_on_commit=False) as session:
        return repo.active_version(session=session, kind=check_kind(kind))


def version_metrics(version: ModelVersion) -> dict[str, Any]:
    """The version's holdout metrics: ``{"type": "classifier" | "regression", "model":
    {...}, "baseline": {...}, ...}``."""
    metrics: dict[str, Any] = json.loads(version.metrics)
    return metrics


def list_versions(engine: Engine, kind: str | None = None) -> list[ModelVersion]:
    with Session(engine, expire_on_commit=False) as session:
        return list(repo.list_model_versions(
            session=session, kind=None if kind is None else check_kind(kind)))


def get_version(engine: Engine, version_id: int) -> ModelVersion | None:
    with Session(engine, expire_on_commit=False) as session:
        return repo.get_model_version(session=session, version_id=version_id)


def latest_drift(engine: Engine, version_id: int) -> dict[str, float]:
    """PSI per feature of the latest scoring of ``version_id`` (empty before any)."""
    with Session(engine, expire_on_commit=False) as session:
        text = repo.latest_drift(session=session, version_id=version_id)
    drift: dict[str, float] = json.loads(text or "{}")
    return drift


@dataclass(frozen=True)
class CustomerScoreView:
    """A published score of one kind; ``send_time`` has no model version and fills the
    ``best_*`` fields instead."""

    kind: str
    version_id: int | None
    as_of: datetime
    probability: float | None
    risk_level: str | None
    expected_orders: float | None = None
    predicted_value: float | None = None
    p_alive: float | None = None
    best_send_hour: int | None = None
    best_send_weekday: int | None = None
    send_time_source: str | None = None
    timezone: str | None = None


def customer_scores(engine: Engine, customer_id: str) -> list[CustomerScoreView]:
    """The customer's published score of every kind that has one, then their send time
    when it has been computed."""
    views = []
    with Session(engine, expire_on_commit=False) as session:
        for kind in SCORED_KINDS:
            run = repo.published_run(session=session, kind=kind)
            if run is None:
                continue
            row = repo.customer_score(session=session, run_id=run.id or 0,
                                      customer_id=customer_id)
            if row is not None:
                views.append(CustomerScoreView(
                    kind=kind, version_id=run.version_id, as_of=run.as_of,
                    probability=row.probability, risk_level=row.risk_level,
                    expected_orders=row.expected_orders, predicted_value=row.predicted_value,
                    p_alive=row.p_alive))
        timing = repo.customer_send_time(session=session, customer_id=customer_id)
    if timing is not None:
        views.append(CustomerScoreView(
            kind="send_time", version_id=None, as_of=timing.computed_at, probability=None,
            risk_level=None, best_send_hour=timing.best_hour,
            best_send_weekday=timing.best_weekday, send_time_source=timing.source,
            timezone=timing.timezone))
    return views


def explain_customer(engine: Engine, customer_id: str, kind: str) -> Explanation | None:
    """Why the active ``kind`` model scores the customer as it does, from their features
    now (None when the kind has no active version or the customer has no history)."""
    name = check_kind(kind)
    if name not in SCORED_KINDS:
        return None  # a pair model needs a campaign to explain
    with Session(engine, expire_on_commit=False) as session:
        version = repo.active_version(session=session, kind=name)
        if version is None:
            return None
        frames = {**repo.read_customer_inputs(session=session, customer_id=customer_id),
                  **repo.read_customer_preferences(session=session,
                                                   customer_id=customer_id)}
    features = _features(frames, _data_end(engine)[1])
    if features.is_empty():
        return None
    return _served(version).explain(features)


EXPORT_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "churn_probability": pl.Float64(), "risk_level": pl.String(),
    "expected_orders": pl.Float64(), "predicted_clv": pl.Float64(), "p_alive": pl.Float64(),
    "best_send_hour": pl.Int64(), "churn_model_version": pl.Int64(),
    "ltv_model_version": pl.Int64()}


def export_scores(engine: Engine) -> pl.DataFrame:
    """One row per scored customer with every published score and the best local send
    hour (``EXPORT_SCHEMA``; a kind without published scores leaves its columns empty)."""
    with Session(engine, expire_on_commit=False) as session:
        runs = {kind: repo.published_run(session=session, kind=kind) for kind in SCORED_KINDS}
    parts = []
    for kind, run in runs.items():
        if run is None:
            continue
        scores = repo.run_scores(engine=engine, run_id=run.id or 0)
        if kind == "churn":
            parts.append(scores.select(
                "customer_id", pl.col("probability").alias("churn_probability"),
                "risk_level", pl.lit(run.version_id, pl.Int64).alias("churn_model_version")))
        else:
            parts.append(scores.select(
                "customer_id", "expected_orders", pl.col("predicted_value")
                .alias("predicted_clv"), "p_alive",
                pl.lit(run.version_id, pl.Int64).alias("ltv_model_version")))
    send_times = repo.send_time_frame(engine=engine)
    if not send_times.is_empty():
        parts.append(send_times.select("customer_id", best_send_hour="best_hour"))
    if not parts:
        return pl.DataFrame(schema=EXPORT_SCHEMA)
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.join(part, on="customer_id", how="full", coalesce=True)
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in EXPORT_SCHEMA.items()
               if name not in frame.columns]
    return (frame.with_columns(missing).select(list(EXPORT_SCHEMA))
            .cast(pl.Schema(EXPORT_SCHEMA)).sort("customer_id"))


def risk_counts(engine: Engine, kind: str = "churn") -> dict[str, int]:
    """Customers per risk level in the published run of ``kind``."""
    with Session(engine, expire_on_commit=False) as session:
        run = repo.published_run(session=session, kind=check_kind(kind))
    if run is None:
        return {}
    scores = repo.run_scores(engine=engine, run_id=run.id or 0)
    counts = scores.group_by("risk_level").len()
    return {str(k): int(v) for k, v in counts.iter_rows()}
