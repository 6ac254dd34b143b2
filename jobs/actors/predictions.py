"""Training model versions and scoring customers with them.

``train_model`` stores a version in one transaction at its end; ``score_customers``
writes one shard of a scoring run in one transaction, and the shard that completes the
run publishes it. Either can be killed at any point and simply run again: a training
attempt that dies or fails after its version is stored leaves the version to its retry,
which does not train a second one.
"""

from __future__ import annotations

import os
from datetime import datetime

import dramatiq
from sqlmodel import Session, select

from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from jobs.send import send
from jobs.tracking import TrackedJob, tracked_job
from server.db.engine import get_engine
from server.db.models import SCORED_KINDS, ModelVersion, ScoreRun
from server.db.repository.jobs import set_progress
from server.runners import predictions as runner
from server.runners import send_time
from server.settings import get_settings


def _stage(job: TrackedJob) -> runner.Progress:
    def report(share: float, detail: str) -> None:
        set_progress(engine=get_engine(), job_id=job.job_id, progress=share,
                     detail=f"pid {os.getpid()}: {detail}")
    return report


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _stored_by(job_id: int) -> tuple[ModelVersion | None, bool]:
    """The version an earlier attempt of job ``job_id`` stored before it died or failed,
    and whether that attempt opened a scoring run of it."""
    with Session(get_engine(), expire_on_commit=False) as session:
        version = session.exec(select(ModelVersion).where(ModelVersion.job_id == job_id)
                               ).first()
        scored = version is not None and session.exec(
            select(ScoreRun.id).where(ScoreRun.version_id == version.id)).first() is not None
    return version, scored


@dramatiq.actor(queue_name=QUEUE, max_retries=2, min_backoff=500, max_backoff=2_000)
def train_model(job_id: int, kind: str, as_of: str | None = None,
                horizon_days: int | None = None, score: bool = True) -> None:
    """Train a ``kind`` version (labels up to ``as_of``, ISO 8601; None: the latest
    data) and, when it is active and ``score``, queue its scoring in shards. A data-
    sufficiency refusal or a bad argument fails the job without a retry."""
    job = tracked_job(job_id)
    if job is None:
        return
    settings = get_settings()
    with job.running(f"training {kind}"):
        try:
            params = runner.TrainParams(
                kind=kind, as_of=_when(as_of),
                horizon_days=(runner.default_horizon_days(kind, settings)
                              if horizon_days is None else horizon_days),
                num_threads=settings.prediction_threads)
            params.validate()
            version, scored = _stored_by(job_id)
            if version is None:
                version = runner.train_model(get_engine(), params, progress=_stage(job),
                                             job_id=job_id)
        except ValueError as error:
            job.fail(str(error))
            return
        detail = f"version {version.id}: {version.served} served"
        if version.active and score and version.kind in SCORED_KINDS and not scored:
            run = runner.start_scoring(get_engine(), version.id or 0,
                                       shards=settings.score_shards)
            for shard in range(run.shards):
                send("score_customers", version=version.id, shard=shard, shards=run.shards,
                     run=run.id)
            detail += f"; scoring queued in {run.shards} shards (run {run.id})"
        job.done(detail)


@dramatiq.actor(queue_name=QUEUE, max_retries=2, min_backoff=500, max_backoff=2_000)
def score_customers(job_id: int, version: int, shard: int, shards: int,
                    run: int | None = None) -> None:
    """Score shard ``shard`` of ``shards`` with model version ``version`` in scoring run
    ``run`` (None: open a new run, for a single-shard call)."""
    job = tracked_job(job_id)
    if job is None:
        return
    engine = get_engine()
    with job.running(f"scoring shard {shard + 1}/{shards} with version {version}"):
        if run is None:
            if shards != 1:
                job.fail("score_customers: pass run= (from start_scoring) when scoring in "
                         "several shards, so every shard writes the same run")
                return
            run = runner.start_scoring(engine, version, shards=1).id or 0
        result = runner.score_shard(engine, run, shard, progress=_stage(job),
                                    num_threads=get_settings().prediction_threads)
        detail = f"{result.rows} customers scored in run {run}"
        if result.published:
            detail += "; run published"
            if result.kind == "churn":
                # Profiles carry the published churn scores (rules and the churn-risk
                # segments read them): recompute them with the new run.
                detail += f"; segment refresh queued (job {send('refresh_segments')})"
        if result.drift_warning:
            detail += f"; {result.drift_warning}"
        job.done(detail)


@dramatiq.actor(queue_name=QUEUE, max_retries=2, min_backoff=500, max_backoff=2_000)
def score_send_times(job_id: int) -> None:
    """Recompute every customer's best local send hour and weekday."""
    job = tracked_job(job_id)
    if job is None:
        return
    with job.running("computing send times"):
        summary = send_time.compute_send_times(get_engine(), progress=_stage(job))
        sources = ", ".join(f"{count:,} from {source}"
                            for source, count in sorted(summary.sources.items()))
        job.done(f"{summary.rows:,} send times written ({sources or 'no customers'})")
