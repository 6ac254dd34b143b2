"""Folding a received provider webhook delivery into the events (see
``server.runners.webhooks``): safe to run twice, since a folded delivery is left alone
and events are keyed by their provider event id."""

from __future__ import annotations

import dramatiq

from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import tracked_job
from server.db.engine import get_engine
from server.runners import webhooks
from server.settings import get_settings


# A fold that failed on a lock or a concurrent fold creating the same customer succeeds
# when retried; a refused batch fails the same way each time and shows on the jobs page.
@dramatiq.actor(queue_name=QUEUE, max_retries=3, min_backoff=200, max_backoff=5_000)
def fold_webhook(job_id: int, delivery_id: int) -> None:
    """Store the events of webhook delivery ``delivery_id``."""
    job = tracked_job(job_id)
    if job is None:
        return
    with job.running(f"folding webhook delivery {delivery_id}"):
        folded = webhooks.fold(get_engine(), get_settings(), delivery_id)
        job.done(f"delivery {delivery_id}: {folded.events} events, {folded.stored} new, "
                 f"{folded.quarantined} quarantined")
