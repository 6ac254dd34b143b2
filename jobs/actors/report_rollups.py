"""Refreshing the breakdown rollups behind the dashboard (recipient domain × send hour,
segment) for every campaign whose day rollups or segments changed since last time."""

from __future__ import annotations

import dramatiq

from jobs.broker import QUEUE, RetryOptions, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import tracked_job
from server.db.engine import get_engine
from server.db.repository import report_rollups as derived
from server.db.repository.reports import rollup_frame

# Campaigns per transaction: each one holds SQLite's write lock for a few seconds at most
# (about 80,000 sends a second), so ingestion is never blocked for long.
CAMPAIGNS_PER_CHUNK = 5
_RETRY: RetryOptions = {"max_retries": 2, "min_backoff": 500, "max_backoff": 2_000}


@dramatiq.actor(queue_name=QUEUE, **_RETRY)
def refresh_report_rollups(job_id: int) -> None:
    """Recompute the breakdown rows of stale campaigns, a few campaigns per transaction.

    Safe to run twice: a campaign already refreshed (by an earlier run or inline by a
    page) is no longer stale and is skipped; each chunk replaces its campaigns' rows and
    recorded state together, so a failure leaves finished chunks done and others as
    they were.
    """
    job = tracked_job(job_id)
    if job is None:
        return
    engine = get_engine()
    with job.running("finding stale campaigns"):
        fingerprints = derived.campaign_fingerprints(rollup_frame(engine=engine))
        with engine.connect() as connection:
            stale = derived.staleness(fingerprints, derived.report_states(connection),
                                      derived.segment_stamp(connection))
        with engine.begin() as connection:
            derived.drop_report_rollups(connection, stale.gone)
        total = len(stale.stale)
        for start in range(0, total, CAMPAIGNS_PER_CHUNK):
            chunk = stale.stale[start:start + CAMPAIGNS_PER_CHUNK]
            with engine.begin() as connection:
                # Membership may have changed since the job started: record what was used.
                derived.refresh_report_rollups(connection, chunk, fingerprints,
                                               derived.segment_stamp(connection))
            job.progress(start + len(chunk), total, "campaigns")
        job.done(f"{total} campaigns refreshed")
