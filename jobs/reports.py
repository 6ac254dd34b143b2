"""Refreshing the breakdown rollups behind the dashboard (recipient domain × send hour,
segment) for every campaign whose day rollups or segments changed since last time."""

from __future__ import annotations

import os

import dramatiq

from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from server.db.engine import get_engine, session_scope
from server.db.repository import report_rollups as derived
from server.db.repository.jobs import (
    get_job_run,
    mark_done,
    mark_failed,
    mark_running,
    set_progress,
)
from server.db.repository.reports import rollup_frame

# Campaigns per transaction: each one holds SQLite's write lock for a few seconds at most
# (about 80,000 sends a second), so ingestion is never blocked for long.
CAMPAIGNS_PER_CHUNK = 5
_RETRY = {"max_retries": 2, "min_backoff": 500, "max_backoff": 2_000}


@dramatiq.actor(queue_name=QUEUE, **_RETRY)
def refresh_report_rollups(job_id: int) -> None:
    """Recompute the breakdown rows of stale campaigns, a few campaigns per transaction.

    Safe to run twice: a campaign already refreshed (by an earlier run or inline by a
    page) is no longer stale and is skipped; each chunk replaces its campaigns' rows and
    recorded state together, so a failure leaves finished chunks done and others as
    they were.
    """
    engine = get_engine()
    with session_scope(engine) as session:
        if get_job_run(session=session, job_id=job_id) is None:
            return
    pid = os.getpid()
    try:
        mark_running(engine=engine, job_id=job_id, detail=f"pid {pid}: finding stale campaigns")
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
            done = start + len(chunk)
            set_progress(engine=engine, job_id=job_id, progress=done / total,
                         detail=f"pid {pid}: {done}/{total} campaigns")
        mark_done(engine=engine, job_id=job_id, detail=f"pid {pid}: {total} campaigns "
                                                       "refreshed")
    except Exception as error:
        mark_failed(engine=engine, job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
