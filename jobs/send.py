"""Enqueue a job: record its ``job_run`` row, then send the actor message."""

from __future__ import annotations

import json
from typing import Any

import dramatiq

from jobs import actors, experiments, reports
from jobs.broker import ENQUEUED
from server.db.engine import get_engine, session_scope
from server.db.models import JobRun
from server.db.repository.jobs import create_job_run, mark_failed

ACTORS: dict[str, dramatiq.Actor[..., Any]] = {
    "rebuild_rollups": actors.rebuild_rollups,
    "experiment_webhook": experiments.post_winner_webhook,
    "refresh_report_rollups": reports.refresh_report_rollups,
}


def _actor(name: str) -> dramatiq.Actor[..., Any]:
    try:
        return ACTORS[name]
    except KeyError:
        raise ValueError(f"unknown job actor {name!r}; known actors: "
                         f"{', '.join(sorted(ACTORS))}") from None


def send(actor_name: str, **args: Any) -> int:
    """Create a queued ``job_run`` for ``actor_name`` and enqueue it; returns its id.

    ``args`` must be plain JSON values. Raises ``ValueError`` for an unknown actor.
    """
    actor = _actor(actor_name)
    engine = get_engine()
    with session_scope(engine) as session:
        job_id = create_job_run(session=session, actor=actor_name, args=args).id
    assert job_id is not None
    ENQUEUED.add(job_id)
    try:
        actor.send(job_id=job_id, **args)
    except Exception as error:
        mark_failed(engine=engine, job_id=job_id, error=f"could not enqueue: {error}")
        raise
    return job_id


def enqueue_existing(job: JobRun) -> None:
    """Send the message for an existing row again (recovery); ignores unknown actors."""
    actor = ACTORS.get(job.actor)
    if actor is None:
        mark_failed(engine=get_engine(), job_id=job.id or 0,
                    error=f"unknown job actor {job.actor!r}; known actors: "
                          f"{', '.join(sorted(ACTORS))}")
        return
    ENQUEUED.add(job.id or 0)
    actor.send(job_id=job.id, **json.loads(job.args or "{}"))
