"""The budget alert check: burn rate against this month's plans, ROI and CPA over the
last three months, with the thresholds in the settings. Meant to run on a schedule
(``mailscope budget alerts`` from cron, or this actor); safe to run twice, as an alert
still open is updated rather than raised again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dramatiq

from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import tracked_job
from server.db.engine import get_engine
from server.runners.budget import raise_alerts, thresholds_from
from server.settings import get_settings


@dramatiq.actor(queue_name=QUEUE, max_retries=2, min_backoff=500, max_backoff=2_000)
def raise_budget_alerts(job_id: int, as_of: str | None = None) -> None:
    """Raise the alerts the data call for on ``as_of`` (ISO date; default today)."""
    job = tracked_job(job_id)
    if job is None:
        return
    settings = get_settings()
    today = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    with job.running("checking budgets"):
        new, still_open = raise_alerts(
            get_engine(), today=today, currency=settings.currency,
            thresholds=thresholds_from(settings.budget_low_roi_percent,
                                       settings.budget_high_burn_rate,
                                       settings.budget_high_cpa))
        job.done(f"{new} new alerts, {still_open} still open")
