"""The actors. Each takes a ``job_id`` (its ``job_run`` row) plus plain JSON arguments,
records state and progress there, and is safe to run twice.
"""

from __future__ import annotations

import os

import dramatiq
from sqlalchemy import text

from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from server.db.engine import get_engine, session_scope
from server.db.repository import rollups
from server.db.repository.jobs import (
    get_job_run,
    mark_done,
    mark_failed,
    mark_running,
    set_progress,
)

# Campaigns recomputed per transaction: small enough that progress moves and a lock is
# never held for long, large enough that per-transaction overhead stays negligible.
CAMPAIGNS_PER_CHUNK = 50

# A failed rebuild is retried a couple of times (a lock timeout or a dropped connection
# is worth retrying; a real bug fails fast enough to be seen on the jobs page).
_RETRY = {"max_retries": 2, "min_backoff": 500, "max_backoff": 2_000}


def _campaign_ids() -> list[str]:
    # Campaigns in either table: those only in the rollups lost all their messages, and
    # their stale rows must go.
    with get_engine().connect() as connection:
        rows = connection.execute(text(
            "SELECT campaign_id FROM message UNION SELECT campaign_id FROM rollup_campaign_day"))
        return sorted(row[0] for row in rows)


@dramatiq.actor(queue_name=QUEUE, **_RETRY)
def rebuild_rollups(job_id: int) -> None:
    """Recompute ``rollup_campaign_day`` from the message table.

    Each chunk of campaigns is replaced in its own transaction (delete + insert of
    exactly those campaigns), so every campaign's rollups are at all times either the
    previous rows or the fresh recomputation, never a mix; a failure leaves the chunks
    not yet reached untouched, and a rerun converges to the same result.
    """
    engine = get_engine()
    with session_scope(engine) as session:
        if get_job_run(session=session, job_id=job_id) is None:
            # The row was deleted (or the message is for another database): nothing to do.
            return
    pid = os.getpid()
    try:
        mark_running(engine=engine, job_id=job_id, detail=f"pid {pid}: listing campaigns")
        campaign_ids = _campaign_ids()
        total = len(campaign_ids)
        written = 0
        for start in range(0, total, CAMPAIGNS_PER_CHUNK):
            chunk = campaign_ids[start:start + CAMPAIGNS_PER_CHUNK]
            with engine.begin() as connection:
                written += rollups.refresh_rollups(connection, chunk)
            done = start + len(chunk)
            set_progress(engine=engine, job_id=job_id, progress=done / total,
                         detail=f"pid {pid}: {done}/{total} campaigns")
        mark_done(engine=engine, job_id=job_id,
                  detail=f"pid {pid}: {total} campaigns, {written} rollup rows")
    except Exception as error:
        mark_failed(engine=engine, job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
