"""Enqueue a job: record its ``job_run`` row, then send the actor message.

Senders name actors without importing them (``ACTORS``: job name -> Dramatiq actor name),
so the API, the runners and the CLI never load the actors' code; a worker imports
``jobs.actors``, which declares every actor, and applies each actor's own options
(retries, backoff) when it processes the message.
"""

from __future__ import annotations

import json
from typing import Any

import dramatiq

from jobs.broker import ENQUEUED, QUEUE, broker
from server.db.engine import get_engine, session_scope
from server.db.models import JobRun
from server.db.repository.jobs import create_job_run, mark_failed

# Job name (job_run.actor) -> the Dramatiq actor that runs it (in jobs.actors).
ACTORS: dict[str, str] = {
    "rebuild_rollups": "rebuild_rollups",
    "experiment_webhook": "post_winner_webhook",
    "refresh_report_rollups": "refresh_report_rollups",
    "spend_alerts": "raise_budget_alerts",
    "fold_webhook": "fold_webhook",
    "refresh_segments": "refresh_segments",
    "evaluate_triggers": "evaluate_triggers",
    "trigger_webhook": "deliver_trigger_webhook",
    "train_model": "train_model",
    "score_customers": "score_customers",
    "score_send_times": "score_send_times",
    "select_variants": "select_variants",
    "apply_retention": "apply_retention",
}


def _known() -> str:
    return ", ".join(sorted(ACTORS))


def _enqueue(name: str, job_id: int, args: dict[str, Any], delay: int | None = None) -> None:
    # Senders may run before any actor is declared in this process (the API without
    # embedded workers): the queue is declared here, as declaring an actor would.
    broker.declare_queue(QUEUE)
    broker.enqueue(dramatiq.Message(queue_name=QUEUE, actor_name=ACTORS[name], args=(),
                                    kwargs={"job_id": job_id, **args}, options={}),
                   delay=delay)


def send(actor_name: str, *, delay_ms: int | None = None, **args: Any) -> int:
    """Create a queued ``job_run`` for ``actor_name`` and enqueue it (to run after
    ``delay_ms`` when given); returns its id.

    ``args`` must be plain JSON values. Raises ``ValueError`` for an unknown actor.
    """
    if actor_name not in ACTORS:
        raise ValueError(f"unknown job actor {actor_name!r}; known actors: {_known()}")
    engine = get_engine()
    with session_scope(engine) as session:
        job_id = create_job_run(session=session, actor=actor_name, args=args).id
    assert job_id is not None
    ENQUEUED.add(job_id)
    try:
        _enqueue(actor_name, job_id, args, delay_ms)
    except Exception as error:
        mark_failed(engine=engine, job_id=job_id, error=f"could not enqueue: {error}")
        raise
    return job_id


def enqueue_existing(job: JobRun) -> None:
    """Send the message for an existing row again (recovery); ignores unknown actors."""
    if job.actor not in ACTORS:
        mark_failed(engine=get_engine(), job_id=job.id or 0,
                    error=f"unknown job actor {job.actor!r}; known actors: {_known()}")
        return
    ENQUEUED.add(job.id or 0)
    _enqueue(job.actor, job.id or 0, json.loads(job.args or "{}"))
