"""select_variants chooses for the whole audience with progress, and is safe to rerun."""

from __future__ import annotations

import dramatiq
from sqlalchemy import Engine
from sqlmodel import Session

import jobs
from jobs.actors import variants as actors
from jobs.broker import QUEUE, broker
from server.db.repository.jobs import get_job_run
from server.settings import Settings
from tests.server.ingest.conftest import table_rows
from tests.worlds.shop import load_shop


def _job(engine: Engine, job_id: int):
    with Session(engine) as session:
        return get_job_run(session=session, job_id=job_id)


def test_the_job_logs_the_audience_once(settings: Settings, engine: Engine,
                                        worker: dramatiq.Worker) -> None:
    load_shop(engine)
    first = jobs.send("select_variants", campaign_id="sel")
    broker.join(QUEUE)
    worker.join()
    second = jobs.send("select_variants", campaign_id="sel")
    broker.join(QUEUE)
    worker.join()

    done = _job(engine, first)
    assert done.state == "done" and done.progress == 1.0
    assert "12 customers chosen, 0 already logged (fallback, exploration 100%)" in done.detail
    assert "0 customers chosen, 12 already logged" in _job(engine, second).detail
    assert table_rows(engine, "SELECT count(*) FROM variant_choice") == [(12,)]


def test_an_unknown_campaign_fails_without_retry(settings: Settings, engine: Engine,
                                                 worker: dramatiq.Worker) -> None:
    job_id = jobs.send("select_variants", campaign_id="nope")
    broker.join(QUEUE)
    worker.join()

    row = _job(engine, job_id)
    assert row.state == "failed" and "campaign 'nope' does not exist" in row.error
    assert actors.select_variants.options["max_retries"] == 2
