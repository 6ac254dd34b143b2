"""The ``job_run`` bookkeeping every actor does: running, progress, done or failed.

An actor looks its row up, then does its work inside ``running``::

    job = tracked_job(job_id)
    if job is None:
        return  # the row was deleted: nothing to do
    with job.running("listing campaigns"):
        ...
        job.progress(done, total, "campaigns")
        job.done(f"{total} campaigns")

Details carry the worker's ``pid N:`` so the jobs page tells which process ran what. A
run that starts while its row still says running is a retry of a run whose worker died
mid-job (the Redis broker hands its message to another worker after the heartbeat
timeout): its details say so, ``pid N (retry after pid M stopped):``, up to the end.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from server.db.engine import get_engine, session_scope
from server.db.repository.jobs import (
    get_job_run,
    mark_done,
    mark_failed,
    mark_running,
    set_progress,
)

log = logging.getLogger(__name__)

_PID = re.compile(r"pid (\d+)")


def error_text(error: BaseException) -> str:
    """``ExceptionType: message``, as a failed job records it."""
    return f"{type(error).__name__}: {error}"


class TrackedJob:
    """One run of an actor, recorded in its ``job_run`` row; see ``tracked_job``."""

    def __init__(self, job_id: int, engine: Engine, *, retry_of: str | None = None) -> None:
        self.job_id = job_id
        self._engine = engine
        self._pid = os.getpid()
        self._outcome: str | None = None
        self._tag = f"pid {self._pid}"
        if retry_of is not None:
            self._tag += f" (retry after {retry_of} stopped)"

    def _tagged(self, detail: str) -> str:
        return f"{self._tag}: {detail}"

    @contextmanager
    def running(self, detail: str) -> Iterator[TrackedJob]:
        """Mark the row running with ``detail``, and finish it when the block ends.

        An ``Exception`` escaping the block marks the row failed with ``error_text``
        (unless ``fail`` already recorded a more telling error) and is re-raised, so
        Dramatiq retries the message. Leaving the block normally without ``done`` or
        ``fail`` marks the row done, keeping its last detail. Interrupts that are not
        an ``Exception`` (a worker shutting down) leave the row running, for recovery
        to re-enqueue.
        """
        try:
            mark_running(engine=self._engine, job_id=self.job_id,
                         detail=self._tagged(detail))
            yield self
            if self._outcome is None:
                self._outcome = "done"
                mark_done(engine=self._engine, job_id=self.job_id)
        except Exception as error:
            if self._outcome != "failed":
                self.fail(error_text(error))
            raise

    def progress(self, done: int, total: int, unit: str) -> None:
        """Record ``done`` of ``total`` (``pid N: done/total unit``)."""
        set_progress(engine=self._engine, job_id=self.job_id,
                     progress=done / total if total else 1.0,
                     detail=self._tagged(f"{done}/{total} {unit}"))

    def done(self, detail: str, *, pid: bool = True) -> None:
        """Mark the row done with ``detail`` (prefixed ``pid N:`` unless ``pid=False``)."""
        self._outcome = "done"
        mark_done(engine=self._engine, job_id=self.job_id,
                  detail=self._tagged(detail) if pid else detail)

    def fail(self, error: str) -> None:
        """Mark the row failed with ``error``; returning after this means no retry."""
        self._outcome = "failed"
        mark_failed(engine=self._engine, job_id=self.job_id, error=error)


def tracked_job(job_id: int) -> TrackedJob | None:
    """The run recorded in ``job_run`` row ``job_id``, or None when there is no such row
    (it was deleted, or the message is for another database)."""
    engine = get_engine()
    with session_scope(engine) as session:
        row = get_job_run(session=session, job_id=job_id)
        if row is None:
            return None
        retry_of = None
        if row.state == "running":
            # Only a run ended without an Exception (its worker killed or shut down) leaves
            # the row running for its message to come again; a failure marks it failed,
            # and a restart of embedded workers puts it back to queued.
            found = _PID.match(row.detail or "")
            retry_of = found.group(0) if found else "a worker"
            log.warning("job %s was running when its worker (%s) stopped; running it again",
                        job_id, retry_of)
    return TrackedJob(job_id, engine, retry_of=retry_of)
