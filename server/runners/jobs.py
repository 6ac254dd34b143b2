"""Starting background jobs on behalf of a caller: the job's row, or why it did not start."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from jobs.send import send
from server.db.models import JobRun
from server.db.repository.jobs import get_job_run

log = logging.getLogger(__name__)


def start_job(engine: Engine, actor: str, label: str, **args: Any) -> JobRun | str:
    """Queue ``actor`` with ``args``; its ``job_run`` row, or a message naming the
    problem (``label`` is how the caller names the job)."""
    try:
        job_id = send(actor, **args)
    except Exception as error:  # the broker is down or refused the message
        log.warning("%s not started: %s", actor, error)
        return f"{label} was not started: {error}. Check the worker/broker and try again."
    with Session(engine, expire_on_commit=False) as session:
        row = get_job_run(session=session, job_id=job_id)
    if row is None:
        return (f"job {job_id} was queued on another database; check "
                "MAILSCOPE_DATABASE_URL of server and workers")
    return row
