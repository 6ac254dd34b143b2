"""apply_retention runs the policy as a job; runJob starts it for admins only."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

import jobs
from jobs.actors import retention as actors  # noqa: F401  (declares the actor)
from jobs.broker import QUEUE, broker
from server.db.repository.jobs import get_job_run
from server.settings import Settings, configure
from tests.schema.conftest import ADMIN, ANALYST, messages_of, run
from tests.worlds import dashboard


@pytest.fixture
def worker() -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def kept_a_day(settings: Settings, engine: Engine) -> Iterator[Settings]:
    """The dashboard world (March 2026), then a policy of one day."""
    dashboard.load_world(engine)
    yield configure(**{**settings.model_dump(), "raw_event_retention_days": 1})
    configure(**settings.model_dump())


RUN = "mutation { runJob(actor: APPLY_RETENTION) { ... on Job { id actor } } }"


async def test_the_job_deletes_expired_events(kept_a_day: Settings, engine: Engine,
                                              worker: dramatiq.Worker) -> None:
    refused = await run(engine, RUN, user=ANALYST)
    assert "needs the admin role" in messages_of(refused)[0]
    started = await run(engine, RUN, user=ADMIN)
    assert started.errors is None and started.data is not None
    job_id = int(started.data["runJob"]["id"])
    broker.join(QUEUE)
    worker.join()
    with Session(engine) as session:
        job = get_job_run(session=session, job_id=job_id)
        assert job is not None and job.state == "done", job and job.error
        assert job.detail is not None and ": deleted 23 (" in job.detail
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM email_event")).scalar_one() == 0
    jobs.send("apply_retention")  # twice: nothing left to delete, still done
    broker.join(QUEUE)
    worker.join()
