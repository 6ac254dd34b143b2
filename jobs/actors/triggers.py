"""Trigger jobs: evaluation (after an import of behaviour, and the sweep that finds
absence occasions whose deadline has passed) and the signed webhook of each firing.

The delivery is its own job keyed by the firing id: a retried or redelivered delivery
never creates a second firing, and the ``Idempotency-Key`` (``trigger-firing-<id>``)
lets the receiver drop the rare duplicate POST (a crash between the POST and recording
it). A delivered firing is never posted again (``delivered_at``).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import dramatiq
import httpx

from jobs.actors import outbound
from jobs.actors.outbound import RETRY, post_json, signature
from jobs.broker import QUEUE, broker  # noqa: F401  (the broker must exist before actors)
from jobs.tracking import error_text, tracked_job
from server.db.engine import get_engine, session_scope
from server.db.models import TriggerDefinition, TriggerFiring
from server.db.repository.triggers import get_firing, get_trigger, mark_delivered
from server.runners.triggers import evaluate

# Module-level so a test can shorten it.
TIMEOUT = outbound.TIMEOUT
_EVALUATE_RETRY: dict[str, Any] = {"max_retries": 3, "min_backoff": 500, "max_backoff": 5_000}


@dramatiq.actor(queue_name=QUEUE, **_EVALUATE_RETRY)
def evaluate_triggers(job_id: int, customer_ids: list[str] | None = None,
                      as_of: str | None = None) -> None:
    """Decide the due occasions of every trigger for ``customer_ids`` (an imported
    batch's customers) or everyone (the sweep), as of ``as_of`` (ISO, default now).
    Safe to run twice: a decided occasion is never decided again."""
    job = tracked_job(job_id)
    if job is None:
        return
    scope = "everyone" if customer_ids is None else f"{len(customer_ids)} customers"
    with job.running(f"evaluating triggers for {scope}"):
        result = evaluate(get_engine(), customer_ids=customer_ids,
                          as_of=datetime.fromisoformat(as_of) if as_of else None)
        job.done(result.summary(), pid=False)


def firing_payload(firing: TriggerFiring, trigger: TriggerDefinition) -> dict[str, Any]:
    """The JSON body: firingId, triggerId, trigger (name), customerId, occasionKey,
    reason, dueAt."""
    return {"firingId": firing.id, "triggerId": trigger.id, "trigger": trigger.name,
            "customerId": firing.customer_id, "occasionKey": firing.occasion_key,
            "reason": firing.reason, "dueAt": firing.due_at.isoformat()}


def _load(firing_id: int) -> tuple[TriggerFiring | None, TriggerDefinition | None]:
    with session_scope(get_engine()) as session:
        firing = get_firing(session=session, firing_id=firing_id)
        trigger = None
        if firing is not None:
            trigger = get_trigger(session=session, trigger_id=firing.trigger_id)
        return firing, trigger


@dramatiq.actor(queue_name=QUEUE, **RETRY)
def deliver_trigger_webhook(job_id: int, firing_id: int) -> None:
    """POST firing ``firing_id``, signed with its trigger's secret, to its webhook, once."""
    job = tracked_job(job_id)
    if job is None:
        return
    with job.running(f"firing {firing_id}"):
        firing, trigger = _load(firing_id)
        if firing is None or trigger is None or firing.status != "fired" \
                or not trigger.webhook_url:
            job.done("nothing to send: no such firing, not fired, or no webhook URL",
                     pid=False)
            return
        if firing.delivered_at is not None:
            job.done(f"already delivered at {firing.delivered_at.isoformat()}", pid=False)
            return
        body = json.dumps(firing_payload(firing, trigger), allow_nan=False).encode()
        timestamp = int(time.time())
        headers = {"X-Mailscope-Timestamp": str(timestamp),
                   "X-Mailscope-Signature": signature(trigger.webhook_secret, timestamp, body)}
        try:
            response = post_json(trigger.webhook_url, body, timeout=TIMEOUT, headers=headers,
                                 idempotency_key=f"trigger-firing-{firing_id}")
        except httpx.HTTPError as error:
            job.fail(f"POST {trigger.webhook_url} failed: {error_text(error)}")
            raise
        with session_scope(get_engine()) as session:
            mark_delivered(session=session, firing_id=firing_id,
                           status_code=response.status_code)
        job.done(f"POST {trigger.webhook_url} → {response.status_code}", pid=False)
