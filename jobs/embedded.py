"""Embedded mode: Dramatiq worker threads inside the serving process (no Redis).

``start`` re-enqueues every unfinished ``job_run`` left by a previous process, and a
poller picks up rows queued by other processes (``mailscope jobs run`` without
``--wait``), so a job recorded in the database is never lost.
"""

from __future__ import annotations

import logging
import threading

import dramatiq

from jobs import actors  # noqa: F401  (declares every actor before the workers start)
from jobs.broker import ENQUEUED, broker, is_embedded
from jobs.send import enqueue_existing
from server.db.engine import engine_for, session_scope
from server.db.repository.jobs import requeue, unfinished_job_runs
from server.settings import Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


class EmbeddedWorkers:
    """Worker threads on the in-process broker; ``stop()`` waits for running jobs."""

    def __init__(self, settings: Settings, *, recover: bool = True) -> None:
        self._engine = engine_for(settings.database_url)
        self._stopping = threading.Event()
        self.worker = dramatiq.Worker(broker, worker_threads=max(1, settings.embedded_workers),
                                      worker_timeout=100)
        self._recover = recover
        self._poller = threading.Thread(target=self._poll, name="mailscope-job-poller",
                                        daemon=True)

    def start(self) -> EmbeddedWorkers:
        self.worker.start()
        if self._recover:
            self.recover()
            self._poller.start()
        return self

    def recover(self) -> list[int]:
        """Re-enqueue queued/running rows not yet enqueued here; returns their ids."""
        with session_scope(self._engine) as session:
            jobs = [job for job in unfinished_job_runs(session=session)
                    if job.id not in ENQUEUED]
            for job in jobs:
                if job.state == "running":
                    requeue(session=session, job_id=job.id or 0,
                            detail="recovered: was running when its process stopped")
        for job in jobs:
            enqueue_existing(job)
        return [job.id or 0 for job in jobs]

    def _poll(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            try:
                with session_scope(self._engine) as session:
                    queued = [job for job in unfinished_job_runs(session=session)
                              if job.state == "queued" and job.id not in ENQUEUED]
                for job in queued:
                    enqueue_existing(job)
            except Exception:  # the poller must survive a database hiccup
                log.exception("job poller failed; retrying in %s s", POLL_SECONDS)

    def stop(self) -> None:
        self._stopping.set()
        self.worker.stop()


def start(settings: Settings, *, recover: bool = True) -> EmbeddedWorkers:
    """Start embedded workers (only valid without ``MAILSCOPE_BROKER_URL``)."""
    if not is_embedded():
        raise RuntimeError("MAILSCOPE_BROKER_URL is set: run `mailscope worker` instead")
    return EmbeddedWorkers(settings, recover=recover).start()
