"""train_model and score_customers on the in-process StubBroker: a trained version is
scored in shards and published; refusals fail without retry; a shard that dies before
its write leaves nothing and its retry completes the run."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

import jobs
from jobs.actors import predictions as actors
from jobs.broker import QUEUE, broker
from server.db.models import JobRun
from server.runners import predictions as runner
from server.settings import Settings
from tests.server.predictions_world import CUSTOMERS, seed_store


@pytest.fixture
def worker() -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    seed_store(engine)
    yield engine
    engine.dispose()


def _jobs(engine: Engine) -> list[tuple[str, str, str | None]]:
    with Session(engine) as session:
        rows = session.exec(select(JobRun).order_by(col(JobRun.id))).all()
        return [(row.actor, row.state, row.error) for row in rows]


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() or 0)


def test_training_queues_sharded_scoring_that_publishes(settings: Settings, store: Engine,
                                                        worker: dramatiq.Worker) -> None:
    job_id = jobs.send("train_model", kind="churn", horizon_days=30)
    broker.join(QUEUE)
    worker.join()

    # The shard that published the run queued the segment refresh: profiles (and the
    # churn-risk segments) carry the new scores.
    assert _jobs(store) == [("train_model", "done", None),
                            ("score_customers", "done", None),
                            ("score_customers", "done", None),
                            ("refresh_segments", "done", None)]
    with store.connect() as connection:
        assert connection.execute(text(
            "SELECT COUNT(*) FROM customer_profile WHERE churn_risk IS NOT NULL")).scalar() \
            == CUSTOMERS
    with Session(store) as session:
        detail = session.get(JobRun, job_id).detail
    assert detail is not None and detail.endswith("; scoring queued in 2 shards (run 1)")
    assert len(runner.export_scores(store)) == CUSTOMERS
    assert [v.active for v in runner.list_versions(store)] == [True]


def test_too_little_data_fails_once_without_a_version(settings: Settings, engine: Engine,
                                                      worker: dramatiq.Worker) -> None:
    jobs.send("train_model", kind="churn", horizon_days=30)
    broker.join(QUEUE)
    worker.join()

    [(actor, state, error)] = _jobs(engine)
    assert (actor, state) == ("train_model", "failed")
    assert error is not None and error.startswith("there is no data to model")
    assert _count(engine, "model_version") == 0
    engine.dispose()


def test_a_shard_killed_before_its_write_leaves_nothing_and_its_retry_completes(
        settings: Settings, store: Engine, worker: dramatiq.Worker,
        monkeypatch: pytest.MonkeyPatch) -> None:
    version = runner.train_model(store, runner.TrainParams(kind="churn", horizon_days=30))
    scoring = runner.start_scoring(store, version.id or 0, shards=2)
    real = runner.repo.write_score_shard
    calls: list[int] = []

    def dies_once(**kwargs: object) -> object:
        calls.append(int(kwargs["shard"]))  # type: ignore[call-overload]
        if len(calls) == 1:
            raise RuntimeError("worker killed")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner.repo, "write_score_shard", dies_once)
    actors.score_customers.send(job_id=_job(store, "score_customers"), version=version.id,
                                shard=0, shards=2, run=scoring.id)
    broker.join(QUEUE)
    worker.join()
    # The retry wrote shard 0; the run is not published until shard 1 is written.
    assert calls == [0, 0]
    assert 0 < _count(store, "customer_score") < CUSTOMERS
    assert runner.customer_scores(store, "u0001") == []
    assert runner.export_scores(store).height == 0

    jobs.send("score_customers", version=version.id, shard=1, shards=2, run=scoring.id)
    broker.join(QUEUE)
    worker.join()

    assert [state for _, state, _ in _jobs(store)] == ["done", "done", "done"]  # + refresh
    assert _count(store, "customer_score") == CUSTOMERS
    assert len(runner.customer_scores(store, "u0001")) == 1


def test_a_training_that_fails_after_storing_its_version_is_not_trained_twice(
        settings: Settings, store: Engine, worker: dramatiq.Worker,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # As a worker killed between the version's commit and the job's end: the retry
    # finds the version stored by the job and goes on from there.
    real = runner.start_scoring
    calls: list[int] = []

    def fails_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "start_scoring", fails_once)
    job_id = jobs.send("train_model", kind="churn", horizon_days=30)
    broker.join(QUEUE)
    worker.join()

    assert calls == [1, 1]
    assert [(v.job_id, v.active) for v in runner.list_versions(store)] == [(job_id, True)]
    assert _jobs(store) == [("train_model", "done", None),
                            ("score_customers", "done", None),
                            ("score_customers", "done", None),
                            ("refresh_segments", "done", None)]
    assert _count(store, "score_run") == 1
    assert len(runner.export_scores(store)) == CUSTOMERS


def _job(engine: Engine, actor: str) -> int:
    from server.db.repository.jobs import create_job_run

    with Session(engine) as session:
        job_id = create_job_run(session=session, actor=actor, args={}).id
        session.commit()
    assert job_id is not None
    return job_id


def test_an_engagement_training_job_queues_no_customer_scoring(
        settings: Settings, store: Engine, worker: dramatiq.Worker) -> None:
    job_id = jobs.send("train_model", kind="click", horizon_days=30)
    broker.join(QUEUE)
    worker.join()

    assert _jobs(store) == [("train_model", "done", None)]
    with Session(store) as session:
        detail = session.get(JobRun, job_id).detail
    assert detail is not None and detail.endswith(" served")
    assert [v.kind for v in runner.list_versions(store)] == ["click"]


def test_compute_send_times_writes_every_customer(settings: Settings, engine: Engine,
                                                  worker: dramatiq.Worker) -> None:
    from tests.server.send_time_world import CUSTOMERS as SEND_TIME_CUSTOMERS
    from tests.server.send_time_world import seed_send_times

    seed_send_times(engine)
    job_id = jobs.send("score_send_times")
    broker.join(QUEUE)
    worker.join()

    assert _jobs(engine) == [("score_send_times", "done", None)]
    assert _count(engine, "send_time_score") == len(SEND_TIME_CUSTOMERS)
    with Session(engine) as session:
        detail = session.get(JobRun, job_id).detail
    assert detail is not None and detail.endswith(
        ": 5 send times written (3 from customer, 1 from global, 1 from segment)")
    engine.dispose()
