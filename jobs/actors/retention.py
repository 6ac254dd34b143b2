"""Applying the raw-event retention policy as a job (schedule it daily)."""

from __future__ import annotations

from typing import Any

import dramatiq

from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import tracked_job
from server.db.engine import get_engine
from server.runners.retention import apply
from server.settings import get_settings

_RETRY: dict[str, Any] = {"max_retries": 2, "min_backoff": 500, "max_backoff": 2_000}


@dramatiq.actor(queue_name=QUEUE, **_RETRY)
def apply_retention(job_id: int) -> None:
    """Delete raw events older than MAILSCOPE_RAW_EVENT_RETENTION_DAYS in one transaction
    (a failure deletes nothing). Safe to run twice: a second run finds nothing older."""
    job = tracked_job(job_id)
    if job is None:
        return
    with job.running("deleting expired raw events"):
        result = apply(get_engine(), get_settings().raw_event_retention_days)
        job.done(result.summary())
