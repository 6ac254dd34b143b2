"""Refreshing customer profiles and every segment, and proving the incremental state.

Imports keep profiles and rule-segment membership current for the customers they touch;
time moves on for everyone else (days since the last order, the 30/90-day rates, decay),
so this job recomputes all of it. Before it does, it proves the incremental state: every
rule segment's stored members must be exactly the customers its rule selects among the
stored profiles. A difference is counted in the job's detail (and logged), then the
full recomputation restores it, as ``rebuild_rollups`` does for the rollups.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import tracked_job
from server.db.engine import get_engine
from server.runners.customers import membership_drift, refresh_all

log = logging.getLogger(__name__)
_RETRY: dict[str, Any] = {"max_retries": 2, "min_backoff": 500, "max_backoff": 2_000}


@dramatiq.actor(queue_name=QUEUE, **_RETRY)
def refresh_segments(job_id: int) -> None:
    """Prove rule-segment membership against the stored profiles, then recompute every
    profile and segment as of now. Safe to run twice: each run converges to the same
    membership for the same data and time."""
    job = tracked_job(job_id)
    if job is None:
        return
    engine = get_engine()
    with job.running("proving segment membership"):
        drift = membership_drift(engine)
        if drift:
            log.warning("segment membership drifted from its rules: %s", drift)
        job.progress(1, 2, "steps")
        result = refresh_all(engine)
        job.progress(2, 2, "steps")
        job.done(f"{sum(drift.values())} members out of place before the refresh; "
                 f"{result['profiles']} profiles, {result['entered']} entered, "
                 f"{result['left']} left")
