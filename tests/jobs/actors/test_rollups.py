"""rebuild_rollups, send() and recovery on the in-process StubBroker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import dramatiq
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

import jobs
from jobs import embedded
from jobs.actors import rollups as actors
from jobs.broker import ENQUEUED, QUEUE, broker
from jobs.embedded import EmbeddedWorkers
from server.db.models import CampaignDailyRollup, JobRun, Message
from server.db.repository.jobs import create_job_run, get_job_run, mark_running
from server.db.repository.rollups import refresh_rollups
from server.settings import Settings

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CAMPAIGNS = 120  # more than one chunk of CAMPAIGNS_PER_CHUNK


@pytest.fixture
def worker() -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


def _seed(engine: Engine) -> None:
    with Session(engine) as session:
        for number in range(CAMPAIGNS * 2):
            campaign = number % CAMPAIGNS
            session.add(Message(
                message_id=f"m{number}", campaign_id=f"c{campaign:03d}",
                variant_id="A" if number % 3 else "B", customer_id=f"u{number}",
                sent_at=START + timedelta(days=number // CAMPAIGNS),
                delivered_at=START if number % 5 else None,
                revenue=Decimal("1.25") * (number % 4)))
        session.commit()
    with engine.begin() as connection:
        refresh_rollups(connection)


def _rollups(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        rows = session.exec(select(CampaignDailyRollup)).all()
        return sorted((r.campaign_id, r.variant_id, r.day, r.sent, r.delivered,
                       Decimal(r.revenue)) for r in rows)


def _corrupt(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE rollup_campaign_day SET sent = sent + 7 "
                                "WHERE campaign_id < 'c060'"))
        connection.execute(text("DELETE FROM rollup_campaign_day WHERE campaign_id = 'c100'"))
    with Session(engine) as session:
        session.add(CampaignDailyRollup(campaign_id="gone", variant_id="A",
                                        day=date(2026, 1, 1), sent=3))
        session.commit()


def _job(engine: Engine, job_id: int) -> JobRun:
    with Session(engine) as session:
        job = get_job_run(session=session, job_id=job_id)
        assert job is not None
        return job


def test_rebuild_restores_the_recomputation(settings: Settings, engine: Engine,
                                            worker: dramatiq.Worker) -> None:
    _seed(engine)
    expected = _rollups(engine)
    assert len(expected) == 240  # 120 campaigns × 2 send days
    _corrupt(engine)
    assert _rollups(engine) != expected

    job_id = jobs.send("rebuild_rollups")
    broker.join(QUEUE)
    worker.join()

    assert _rollups(engine) == expected
    job = _job(engine, job_id)
    assert (job.state, job.progress, job.error) == ("done", 1.0, None)
    assert job.detail is not None and job.detail.endswith("121 campaigns, 240 rollup rows")
    assert job.started_at is not None and job.finished_at is not None

    # Running it again (a redelivered message) changes nothing.
    actors.rebuild_rollups(job_id)
    assert _rollups(engine) == expected
    assert _job(engine, job_id).state == "done"


def test_failure_marks_failed_and_keeps_previous_rollups(
        settings: Settings, engine: Engine, worker: dramatiq.Worker,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(engine)
    _corrupt(engine)
    before = _rollups(engine)
    calls = []

    def broken(connection: object, campaign_ids: list[str]) -> int:
        calls.append(campaign_ids)
        raise RuntimeError("disk full")

    monkeypatch.setattr(actors.rollups, "refresh_rollups", broken)
    job_id = jobs.send("rebuild_rollups")
    with pytest.raises(RuntimeError, match="disk full"):
        broker.join(QUEUE, fail_fast=True)
    worker.join()

    assert len(calls) == 3  # the first try and max_retries=2 retries
    assert _rollups(engine) == before
    job = _job(engine, job_id)
    assert (job.state, job.error) == ("failed", "RuntimeError: disk full")


def test_send_rejects_an_unknown_actor(settings: Settings, engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown job actor 'nope'; known actors: "
                                         "evaluate_triggers, experiment_webhook, rebuild_rollups"):
        jobs.send("nope")
    with Session(engine) as session:
        assert session.exec(select(JobRun)).all() == []


def test_recovery_reenqueues_unfinished_rows(settings: Settings, engine: Engine) -> None:
    _seed(engine)
    _corrupt(engine)
    with Session(engine) as session:
        queued = create_job_run(session=session, actor="rebuild_rollups", args={}).id
        running = create_job_run(session=session, actor="rebuild_rollups", args={}).id
        finished_job = create_job_run(session=session, actor="rebuild_rollups", args={})
        finished_job.state = "done"
        finished = finished_job.id
        session.commit()
    mark_running(engine=engine, job_id=running)

    workers = EmbeddedWorkers(settings)
    workers.worker.start()
    try:
        assert workers.recover() == [queued, running]
        assert workers.recover() == []  # already enqueued here
        broker.join(QUEUE, fail_fast=True)
        workers.worker.join()
    finally:
        workers.stop()
    assert _job(engine, queued).state == "done"
    assert _job(engine, running).state == "done"
    assert _job(engine, finished).progress == 0.0
    with Session(engine) as session:
        assert ("gone",) not in session.exec(select(CampaignDailyRollup.campaign_id)).all()


def test_embedded_poller_runs_rows_queued_by_another_process(
        settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "POLL_SECONDS", 0.05)
    _seed(engine)
    workers = embedded.start(settings)
    try:
        with Session(engine) as session:
            # Created directly, as `mailscope jobs run` in another process would.
            job_id = create_job_run(session=session, actor="rebuild_rollups", args={}).id
            session.commit()
        for _ in range(200):
            if _job(engine, job_id).state == "done":
                break
            time.sleep(0.05)
    finally:
        workers.stop()
    assert _job(engine, job_id).state == "done"
    assert {job_id} == ENQUEUED


def test_every_job_name_sends_to_a_declared_actor_on_its_queue() -> None:
    import jobs.actors  # noqa: F401  (declares every actor)
    from jobs.broker import QUEUE, broker
    from jobs.send import ACTORS

    declared = {name: broker.get_actor(name) for name in broker.get_declared_actors()}
    assert set(ACTORS.values()) <= set(declared)
    assert {declared[name].queue_name for name in ACTORS.values()} == {QUEUE}
