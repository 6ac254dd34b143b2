"""Choosing a variant for every customer of a campaign's audience, with progress."""

from __future__ import annotations

import dramatiq

from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import tracked_job
from server.db.engine import get_engine
from server.runners import variants as runner


@dramatiq.actor(queue_name=QUEUE, max_retries=2, min_backoff=500, max_backoff=2_000)
def select_variants(job_id: int, campaign_id: str, occasion: str = "send",
                    target: str = "open") -> None:
    """Choose and log variants for the campaign's audience. Safe to run twice: logged
    customers keep their choice, so a retry only finishes the rest. An unknown campaign
    or bad arguments fail the job without a retry."""
    job = tracked_job(job_id)
    if job is None:
        return
    with job.running(f"choosing variants for {campaign_id}"):
        try:
            result = runner.select(get_engine(), runner.SelectParams(
                campaign_id=campaign_id, occasion=occasion, target=target),
                progress=lambda done, total: job.progress(done, total, "customers"))
        except (LookupError, ValueError) as error:
            job.fail(str(error))
            return
        job.done(f"{result.chosen} customers chosen, {result.already_logged} already "
                 f"logged ({result.method}, exploration {result.exploration:.0%})")
