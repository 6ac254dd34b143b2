"""The actors. Each takes a ``job_id`` (its ``job_run`` row) plus plain JSON arguments,
records state and progress there (through ``jobs.tracking``), and is safe to run twice.
"""

from __future__ import annotations

import dramatiq

from jobs.broker import QUEUE, RetryOptions, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import tracked_job
from server.db.engine import get_engine
from server.db.repository import rollups

# Campaigns recomputed per transaction: small enough that progress moves and a lock is
# never held for long, large enough that per-transaction overhead stays negligible.
CAMPAIGNS_PER_CHUNK = 50

# A failed rebuild is retried a couple of times (a lock timeout or a dropped connection
# is worth retrying; a real bug fails fast enough to be seen on the jobs page).
_RETRY: RetryOptions = {"max_retries": 2, "min_backoff": 500, "max_backoff": 2_000}


@dramatiq.actor(queue_name=QUEUE, **_RETRY)
def rebuild_rollups(job_id: int) -> None:
    """Recompute ``rollup_campaign_day`` from the message table.

    Each chunk of campaigns is replaced in its own transaction (delete + insert of
    exactly those campaigns), so every campaign's rollups are at all times either the
    previous rows or the fresh recomputation, never a mix; a failure leaves the chunks
    not yet reached untouched, and a rerun converges to the same result.
    """
    job = tracked_job(job_id)
    if job is None:
        # The row was deleted (or the message is for another database): nothing to do.
        return
    engine = get_engine()
    with job.running("listing campaigns"):
        campaign_ids = rollups.rollup_campaign_ids(engine=engine)
        total = len(campaign_ids)
        written = 0
        for start in range(0, total, CAMPAIGNS_PER_CHUNK):
            chunk = campaign_ids[start:start + CAMPAIGNS_PER_CHUNK]
            with engine.begin() as connection:
                written += rollups.refresh_rollups(connection, chunk)
            job.progress(start + len(chunk), total, "campaigns")
        job.done(f"{total} campaigns, {written} rollup rows")
