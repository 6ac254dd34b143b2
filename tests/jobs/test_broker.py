"""Fault tests of the Redis broker, with its own throw-away redis-server (append-only
file, fsync always, as production should) on a free loopback port, real ``mailscope
worker`` processes and a SQLite database file:

- Redis restarts with jobs queued (and again while a worker runs): nothing queued is lost,
  nothing finished runs twice, and the worker recovers by itself.
- A worker is killed (SIGKILL) mid-training and mid-scoring: it leaves no model version and
  no visible scores, its job row says running under the dead pid, and a second worker runs
  the job again once the heartbeat timeout has passed, exactly once.
- A live worker's job that outlasts the heartbeat timeout is not handed to a second worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from server.db.engine import engine_for
from server.db.models import JobRun
from tests.conftest import IN_CI
from tests.jobs.redis_workers import (
    HEARTBEAT_TIMEOUT_S,
    MAILSCOPE,
    REDIS_SERVER,
    OwnRedis,
    Workers,
    broker_is_empty,
    kill_worker,
    send_jobs,
    wait_polling,
    wait_until,
    writes_held,
)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if REDIS_SERVER is None:
        if IN_CI:
            pytest.fail("redis-server is not installed in CI")
        pytest.skip("redis-server is not installed: the Redis restart test needs its own")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.process.kill()
        server.process.wait(30)


def test_the_redis_broker_takes_its_heartbeat_timeout_from_the_settings() -> None:
    from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker

    from jobs.broker import _build
    from server.settings import configure, get_settings

    before = get_settings()
    try:
        configure(broker_url="redis://127.0.0.1:1/0", worker_heartbeat_timeout_s=7.5)
        redis_broker = _build()
        assert isinstance(redis_broker, RedisBroker)
        assert redis_broker.heartbeat_timeout == 7_500
        # Every broker command also sweeps dead workers' messages back to the queue.
        assert redis_broker.maintenance_chance == MAINTENANCE_SCALE
        redis_broker.close()
        configure(broker_url=None)
        assert not isinstance(_build(), RedisBroker)
    finally:
        configure(**before.model_dump())


def _finished(engine: Engine, job_ids: list[int]) -> dict[int, tuple[str, datetime | None]]:
    with Session(engine) as session:
        rows = session.exec(select(JobRun).where(col(JobRun.id).in_(job_ids))).all()
        return {int(job.id or 0): (job.state, job.finished_at) for job in rows}


def _wait_done(engine: Engine, job_ids: list[int], worker: subprocess.Popen[bytes],
               ) -> dict[int, tuple[str, datetime | None]]:
    deadline = time.monotonic() + 90
    while True:
        states = _finished(engine, job_ids)
        if all(state == "done" for state, _ in states.values()) or time.monotonic() > deadline:
            return states
        assert worker.poll() is None, "the worker exited"
        time.sleep(0.2)


def test_a_redis_restart_loses_and_doubles_nothing(sqlite_url: str, own_redis: OwnRedis,
                                                   tmp_path: Path) -> None:
    engine = engine_for(sqlite_url)
    queued = send_jobs(own_redis.url, engine, "rebuild_rollups", [{}] * 3)
    own_redis.stop()  # restarted with the jobs still queued, no worker running
    own_redis.start()
    env = {**os.environ, "MAILSCOPE_BROKER_URL": own_redis.url,
           "MAILSCOPE_DATABASE_URL": sqlite_url}
    worker = subprocess.Popen([str(MAILSCOPE), "worker", "--processes", "1",  # noqa: S603
                               "--threads", "1"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        first = _wait_done(engine, queued, worker)
        assert sorted(state for state, _ in first.values()) == ["done"] * 3
        own_redis.stop()  # again, under the running worker
        own_redis.start()
        later = send_jobs(own_redis.url, engine, "rebuild_rollups", [{}] * 2)
        second = _wait_done(engine, later, worker)
        assert sorted(state for state, _ in second.values()) == ["done"] * 2
        # Nothing ran twice: the first jobs kept the finish time of their only run.
        assert _finished(engine, queued) == first
        with redis.Redis(port=own_redis.port) as client:
            assert client.llen("dramatiq:default") == 0
            assert client.zcard("dramatiq:default.XQ") == 0  # no dead letters
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=60)[0].decode()
        engine.dispose()
    assert worker.returncode == 0, output


# --- Workers killed mid-job, and jobs that outlast the heartbeat timeout -------------

@pytest.fixture
def workers(sqlite_url: str, own_redis: OwnRedis, tmp_path: Path) -> Iterator[Workers]:
    group = Workers(own_redis.url, sqlite_url, tmp_path)
    yield group
    group.stop_all()


@pytest.fixture
def world(sqlite_url: str) -> Iterator[Engine]:
    from tests.server.predictions_world import seed_store

    engine = engine_for(sqlite_url)
    seed_store(engine)
    yield engine
    engine.dispose()


def _job(engine: Engine, job_id: int) -> JobRun:
    with Session(engine) as session:
        job = session.get(JobRun, job_id)
        assert job is not None
        return job


def _pid(job: JobRun) -> int:
    assert job.detail is not None and job.detail.startswith("pid "), job.detail
    return int(job.detail.removeprefix("pid ").split(":")[0].split(" ")[0])


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        # Safe SQL (S608): the table names are this module's constants.
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608
                   or 0)


def _timings(killed: datetime, job: JobRun, started: datetime | None = None) -> str:
    """Seconds from the kill to the second worker's start, the retry's start and its end."""
    assert job.started_at is not None and job.finished_at is not None
    moments = [("retry started", job.started_at), ("retry done", job.finished_at)]
    if started is not None:
        moments.insert(0, ("second worker started", started))
    return ", ".join(f"{name} {(moment - killed).total_seconds():.1f} s"
                     for name, moment in moments)


def test_a_worker_killed_mid_training_leaves_no_version_and_the_retry_trains_once(
        sqlite_url: str, world: Engine, own_redis: OwnRedis, workers: Workers) -> None:
    from server.runners import predictions as runner

    # Two workers wait for the job: one takes it and is killed, the other, live all
    # along, runs it again once the dead one has been silent for the heartbeat timeout.
    for _ in range(2):
        workers.start()
    active = runner.train_model(world, runner.TrainParams(kind="ltv", horizon_days=30))
    wait_polling(own_redis.port, workers, 2)
    [job_id] = send_jobs(own_redis.url, world, "train_model",
                     [{"kind": "ltv", "horizon_days": 30}])
    # Past "reading": building features, then fitting, then the one transaction storing
    # the version (the write lock holds it back).
    wait_until(lambda: _job(world, job_id).progress >= 0.25, workers, "training is under way")
    with writes_held(sqlite_url):
        job = _job(world, job_id)
        assert [v.id for v in runner.list_versions(world)] == [active.id], \
            "the version was stored before the kill: the test lost its race"
        killed_at, stopped = kill_worker(_pid(job), workers)
    dead = _pid(job)

    # Nothing of the killed run is stored; the row still says running under the dead pid.
    assert [(v.id, v.active) for v in runner.list_versions(world)] == [(active.id, True)]
    after_kill = _job(world, job_id)
    assert (after_kill.state, _pid(after_kill)) == ("running", dead)

    wait_until(lambda: _job(world, job_id).state not in ("queued", "running"), workers,
          "the retry finishes")
    done = _job(world, job_id)
    assert done.state == "done", done.error
    assert done.detail is not None and done.detail.startswith(
        f"pid {_pid(done)} (retry after pid {dead} stopped): version ")
    assert _pid(done) != dead
    versions = runner.list_versions(world)
    assert sorted((v.id, v.active, v.job_id) for v in versions) == [
        (active.id, True, None), (max(v.id or 0 for v in versions), False, job_id)]
    assert [worker.poll() is None for worker in workers.started if worker is not stopped] \
        == [True]
    broker_is_empty(own_redis.port)
    print(f"training killed (heartbeat timeout {HEARTBEAT_TIMEOUT_S} s, second worker "
          f"live): {_timings(killed_at, done)}")


def test_a_worker_killed_mid_scoring_shows_no_mix_and_the_retry_publishes_once(
        sqlite_url: str, world: Engine, own_redis: OwnRedis, workers: Workers) -> None:
    from server.runners import predictions as runner
    from tests.server.predictions_world import CUSTOMERS

    old = runner.train_model(world, runner.TrainParams(kind="churn", horizon_days=30))
    old_run = runner.start_scoring(world, old.id or 0, shards=1)
    runner.score_shard(world, old_run.id or 0, 0)
    new = runner.train_model(world, runner.TrainParams(kind="churn", horizon_days=30))
    runner.activate(world, new.id or 0)
    run = runner.start_scoring(world, new.id or 0, shards=2)
    job_ids = send_jobs(own_redis.url, world, "score_customers",
                    [{"version": new.id, "shard": shard, "shards": 2, "run": run.id}
                     for shard in range(2)])
    before = runner.export_scores(world)
    assert before.height == CUSTOMERS
    assert before["churn_model_version"].unique().to_list() == [old.id]

    workers.start()

    def one_done_one_running() -> bool:
        return sorted(_job(world, job_id).state for job_id in job_ids) == ["done", "running"]

    wait_until(one_done_one_running, workers, "one shard is written and the other is scoring")
    with writes_held(sqlite_url):
        [killed_job] = [_job(world, job_id) for job_id in job_ids
                        if _job(world, job_id).state == "running"]
        assert _count(world, "score_shard WHERE run_id = " + str(int(run.id or 0))) == 1, \
            "the second shard was written before the kill: the test lost its race"
        killed_at, _ = kill_worker(_pid(killed_job), workers)
    dead = _pid(killed_job)
    [finished_job] = [_job(world, job_id) for job_id in job_ids if job_id != killed_job.id]

    # One shard of the new run is written but unpublished: readers still see the old
    # version's scores only, for every customer.
    assert runner.export_scores(world).equals(before)
    assert {view.version_id for view in runner.customer_scores(world, "u0001")
            if view.kind == "churn"} == {old.id}
    assert 0 < _count(world, f"customer_score WHERE run_id = {int(run.id or 0)}") < CUSTOMERS
    assert _job(world, killed_job.id or 0).state == "running"

    second_started = datetime.now(UTC)
    workers.start()
    wait_until(lambda: all(_job(world, job_id).state == "done" for job_id in job_ids), workers,
          "the killed shard is scored again")
    retried = _job(world, killed_job.id or 0)
    assert retried.detail is not None and retried.detail.startswith(
        f"pid {_pid(retried)} (retry after pid {dead} stopped): ")
    assert retried.detail.endswith(f"customers scored in run {run.id}; run published; "
                                   f"segment refresh queued (job {max(job_ids) + 1})")
    # The shard that had finished before the kill did not run again.
    assert _job(world, finished_job.id or 0).finished_at == finished_job.finished_at

    after = runner.export_scores(world)
    assert after.height == CUSTOMERS
    assert after["customer_id"].is_unique().all()
    assert after["churn_model_version"].unique().to_list() == [new.id]
    # The new run has each customer once, beside the old version's run (kept for a
    # roll back).
    assert _count(world, f"customer_score WHERE run_id = {int(run.id or 0)}") == CUSTOMERS
    assert _count(world, "customer_score") == 2 * CUSTOMERS
    assert _count(world, "score_run WHERE completed_at IS NOT NULL") == 2
    wait_until(lambda: _job(world, max(job_ids) + 1).state == "done", workers,
          "the segment refresh queued by the publishing shard is done")
    broker_is_empty(own_redis.port)
    print(f"scoring killed (heartbeat timeout {HEARTBEAT_TIMEOUT_S} s, second worker "
          "started after the kill): "
          f"{_timings(killed_at, retried, second_started)}")


def test_a_job_outlasting_the_heartbeat_timeout_on_a_live_worker_runs_once(
        sqlite_url: str, world: Engine, own_redis: OwnRedis, workers: Workers) -> None:
    from server.runners import predictions as runner

    for _ in range(2):
        workers.start()
    wait_polling(own_redis.port, workers, 2)
    [job_id] = send_jobs(own_redis.url, world, "train_model",
                     [{"kind": "ltv", "horizon_days": 30, "score": False}])
    wait_until(lambda: _job(world, job_id).progress >= 0.25, workers, "training is under way")
    running = _job(world, job_id)
    # The job is held back three heartbeat timeouts: the idle worker polls all the while
    # and would take the message if the busy worker's heartbeats stopped.
    with writes_held(sqlite_url):
        time.sleep(3 * HEARTBEAT_TIMEOUT_S)
    wait_until(lambda: _job(world, job_id).state == "done", workers, "the training is done")

    done = _job(world, job_id)
    assert done.detail is not None and done.detail.startswith(f"pid {_pid(running)}: version ")
    assert done.started_at == running.started_at  # started once
    assert [v.job_id for v in runner.list_versions(world)] == [job_id]
    assert all(worker.poll() is None for worker in workers.started)
    broker_is_empty(own_redis.port)
    assert "running it again" not in workers.output()
