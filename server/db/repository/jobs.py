"""Job runs: the durable record of every background job (state, progress, error).

Functions take either a ``session`` (joins the caller's transaction) or, for the
progress/state writes a running job makes, an ``engine`` (own short transaction, so the
update is visible to other processes at once).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.db.engine import session_scope
from server.db.models import JobRun
from server.db.types import utcnow

UNFINISHED = ("queued", "running")
_DETAIL_MAX = 500


def _clip(detail: str | None) -> str | None:
    return None if detail is None else detail[:_DETAIL_MAX]


def _write(session: Session | None, engine: Engine | None, job_id: int,
           **values: Any) -> JobRun:
    if session is None and engine is None:
        raise TypeError("pass session= or engine=")
    if session is not None:
        return _apply(session, job_id, values)
    with session_scope(engine) as own:
        return _apply(own, job_id, values)


def _apply(session: Session, job_id: int, values: dict[str, Any]) -> JobRun:
    job = session.get(JobRun, job_id)
    if job is None:
        raise LookupError(f"job_run {job_id} does not exist")
    for name, value in values.items():
        setattr(job, name, value)
    session.add(job)
    session.flush()
    return job


def create_job_run(*, session: Session, actor: str, args: dict[str, Any]) -> JobRun:
    """A new queued job run for ``actor`` with its plain JSON ``args``."""
    job = JobRun(actor=actor, args=json.dumps(args, sort_keys=True), state="queued")
    session.add(job)
    session.flush()
    return job


def get_job_run(*, session: Session, job_id: int) -> JobRun | None:
    return session.get(JobRun, job_id)


def list_job_runs(*, session: Session, state: str | None = None, limit: int = 50,
                  offset: int = 0) -> Sequence[JobRun]:
    """Job runs, newest first, optionally only those in ``state``."""
    query = select(JobRun).order_by(col(JobRun.id).desc()).limit(limit).offset(offset)
    if state is not None:
        query = query.where(JobRun.state == state)
    return session.exec(query).all()


def unfinished_job_runs(*, session: Session) -> Sequence[JobRun]:
    """Queued or running job runs, oldest first (what a restart must re-enqueue)."""
    return session.exec(select(JobRun).where(col(JobRun.state).in_(UNFINISHED))
                        .order_by(col(JobRun.id))).all()


def mark_running(*, job_id: int, session: Session | None = None,
                 engine: Engine | None = None, detail: str | None = None) -> JobRun:
    return _write(session, engine, job_id, state="running", started_at=utcnow(),
                  finished_at=None, error=None, progress=0.0, detail=_clip(detail))


def set_progress(*, job_id: int, progress: float, detail: str | None = None,
                 session: Session | None = None, engine: Engine | None = None) -> JobRun:
    """Record ``progress`` (clamped to 0..1) and a human-readable ``detail``."""
    return _write(session, engine, job_id, progress=min(max(float(progress), 0.0), 1.0),
                  detail=_clip(detail))


def mark_done(*, job_id: int, session: Session | None = None, engine: Engine | None = None,
              detail: str | None = None) -> JobRun:
    values: dict[str, Any] = {"state": "done", "progress": 1.0, "finished_at": utcnow(),
                              "error": None}
    if detail is not None:
        values["detail"] = _clip(detail)
    return _write(session, engine, job_id, **values)


def mark_failed(*, job_id: int, error: str, session: Session | None = None,
                engine: Engine | None = None) -> JobRun:
    return _write(session, engine, job_id, state="failed", error=error,
                  finished_at=utcnow())


def requeue(*, job_id: int, detail: str, session: Session | None = None,
            engine: Engine | None = None) -> JobRun:
    """Put a job back to queued (recovery after a restart)."""
    return _write(session, engine, job_id, state="queued", detail=_clip(detail),
                  started_at=None)
