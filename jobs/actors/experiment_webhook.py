"""The winner webhook: POST a declared winner to the experiment's webhook URL.

The sender's system rolls the winner out to the rest of the list, so a POST that fails
is retried with backoff; one that succeeded is never sent again (``webhook_sent_at``),
and every POST carries an ``Idempotency-Key`` so a receiver can drop the rare duplicate
(a crash between the POST and recording it).
"""

from __future__ import annotations

import json
from typing import Any

import dramatiq
import httpx

from jobs.actors import outbound
from jobs.actors.outbound import RETRY, post_json
from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import error_text, tracked_job
from server.db.engine import get_engine, session_scope
from server.db.models import Experiment, webhook_url_problem
from server.db.repository.experiments import get_experiment_by_id, mark_webhook_sent

# Module-level so a test can shorten it.
TIMEOUT = outbound.TIMEOUT


def winner_payload(row: Experiment) -> dict[str, Any]:
    """The JSON body: campaignId, winner, metric, lift, interval (of the lift), declaredAt."""
    interval = None
    if row.winner_lift_low is not None or row.winner_lift_high is not None:
        interval = {"low": row.winner_lift_low, "high": row.winner_lift_high}
    return {
        "campaignId": row.campaign_id,
        "winner": row.winner_variant,
        "metric": row.primary_metric,
        "lift": row.winner_lift,
        "interval": interval,
        "declaredAt": row.declared_at.isoformat() if row.declared_at else None,
    }


def _load(experiment_id: int) -> Experiment | None:
    with session_scope(get_engine()) as session:
        return get_experiment_by_id(session=session, experiment_id=experiment_id)


@dramatiq.actor(queue_name=QUEUE, **RETRY)
def post_winner_webhook(job_id: int, experiment_id: int) -> None:
    """POST the declared winner of ``experiment_id`` to its webhook URL, once."""
    job = tracked_job(job_id)
    if job is None:
        return
    with job.running(f"experiment {experiment_id}"):
        row = _load(experiment_id)
        if row is None or row.status != "decided" or not row.webhook_url:
            job.done("nothing to send: no declared winner or no webhook URL", pid=False)
            return
        if row.webhook_sent_at is not None:
            job.done(f"already sent at {row.webhook_sent_at.isoformat()}", pid=False)
            return
        problem = webhook_url_problem(row.webhook_url)
        if problem:
            # A bad address does not get better by retrying.
            job.fail(f"webhook URL {problem}")
            return
        body = json.dumps(winner_payload(row), allow_nan=False).encode()
        key = f"experiment-{row.id}-{row.declared_at.isoformat() if row.declared_at else ''}"
        try:
            response = post_json(row.webhook_url, body, idempotency_key=key,
                                 timeout=TIMEOUT)
        except httpx.HTTPError as error:
            job.fail(f"POST {row.webhook_url} failed: {error_text(error)}")
            raise
        with session_scope(get_engine()) as session:
            mark_webhook_sent(session=session, experiment_id=experiment_id)
        job.done(f"POST {row.webhook_url} → {response.status_code}", pid=False)
