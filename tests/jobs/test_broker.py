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

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import dramatiq
import pytest
import redis
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from jobs.broker import QUEUE
from server.db.engine import engine_for
from server.db.models import JobRun
from server.db.repository.jobs import create_job_run
from tests.conftest import IN_CI

MAILSCOPE = Path(sys.executable).with_name("mailscope")
REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(  # noqa: S603  (found binary, fixed arguments)
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "own redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            # The server closes the connection as it goes.
            with redis.Redis(port=self.port) as client, \
                    contextlib.suppress(redis.ConnectionError):
                client.shutdown()
            self.process.wait(30)
            self.process = None


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


def _enqueue(broker_url: str, engine: Engine, count: int) -> list[int]:
    """Queue ``count`` rebuild_rollups jobs as ``jobs.send`` does (a job_run row, then the
    message), on a Redis broker of this test's own (the process's broker is the stub)."""
    from dramatiq.brokers.redis import RedisBroker

    sender = RedisBroker(url=broker_url)
    job_ids = []
    try:
        for _ in range(count):
            with Session(engine) as session:
                job_id = int(create_job_run(session=session, actor="rebuild_rollups",
                                            args={}).id or 0)
                session.commit()
            sender.enqueue(dramatiq.Message(queue_name=QUEUE, actor_name="rebuild_rollups",
                                            args=(), kwargs={"job_id": job_id}, options={}))
            job_ids.append(job_id)
    finally:
        sender.close()
    return job_ids


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
    queued = _enqueue(own_redis.url, engine, 3)
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
        later = _enqueue(own_redis.url, engine, 2)
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

HEARTBEAT_TIMEOUT_S = 2.0


class Workers:
    """``mailscope worker`` processes (one Dramatiq process, one thread each) on a Redis
    and a SQLite file, with a low heartbeat timeout; each logs to its own file."""

    def __init__(self, redis_url: str, database_url: str, folder: Path) -> None:
        self.env = {**os.environ, "MAILSCOPE_BROKER_URL": redis_url,
                    "MAILSCOPE_DATABASE_URL": database_url,
                    "MAILSCOPE_WORKER_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S)}
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.folder / f"worker-{len(self.started)}.log").open("wb")
        worker = subprocess.Popen([str(MAILSCOPE), "worker", "--processes", "1",  # noqa: S603
                                   "--threads", "1"], env=self.env, cwd=self.folder,
                                  stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        log.close()
        self.started.append(worker)
        return worker

    def output(self) -> str:
        return "\n".join(path.read_text(errors="replace")
                         for path in sorted(self.folder.glob("worker-*.log")))

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.started:
            try:
                worker.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(30)


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


def _send(broker_url: str, engine: Engine, actor: str,
          kwargs: list[dict[str, object]]) -> list[int]:
    """Queue one ``actor`` job per ``kwargs`` as ``jobs.send`` does, on ``broker_url``."""
    from dramatiq.brokers.redis import RedisBroker

    sender = RedisBroker(url=broker_url)
    job_ids = []
    try:
        for args in kwargs:
            with Session(engine) as session:
                job_id = int(create_job_run(session=session, actor=actor, args=args).id or 0)
                session.commit()
            sender.enqueue(dramatiq.Message(queue_name=QUEUE, actor_name=actor, args=(),
                                            kwargs={"job_id": job_id, **args}, options={}))
            job_ids.append(job_id)
    finally:
        sender.close()
    return job_ids


def _job(engine: Engine, job_id: int) -> JobRun:
    with Session(engine) as session:
        job = session.get(JobRun, job_id)
        assert job is not None
        return job


def _pid(job: JobRun) -> int:
    assert job.detail is not None and job.detail.startswith("pid "), job.detail
    return int(job.detail.removeprefix("pid ").split(":")[0].split(" ")[0])


def _wait(condition: Callable[[], bool], workers: Workers, what: str,
          seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}:\n" \
                                            f"{workers.output()}"
        time.sleep(0.02)


@contextlib.contextmanager
def _writes_held(database_url: str) -> Iterator[None]:
    """Hold SQLite's write lock: a job reading may go on, its next write waits (the
    engine's busy timeout is 30 s). The test kills a worker while it waits, so the kill
    always lands before the job's commit, never after it by chance."""
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"),
                                 isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        # Safe SQL (S608): the table names are this module's constants.
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608
                   or 0)


def _broker_is_empty(port: int) -> None:
    with redis.Redis(port=port) as client:
        assert client.llen("dramatiq:default") == 0
        assert client.hlen("dramatiq:default.msgs") == 0  # every message acked
        assert client.zcard("dramatiq:default.XQ") == 0  # no dead letters
        assert client.keys("dramatiq:__acks__*") == []  # nothing held by any worker


def _kill(pid: int, workers: Workers) -> tuple[datetime, subprocess.Popen[bytes]]:
    """SIGKILL the worker process ``pid``; returns when, and its ``mailscope worker``."""
    os.kill(pid, signal.SIGKILL)
    killed = datetime.now(UTC)
    # Dramatiq's main process sees its worker process die and stops.
    _wait(lambda: any(worker.poll() is not None for worker in workers.started), workers,
          "the killed worker's main process stops", seconds=60)
    [stopped] = [worker for worker in workers.started if worker.poll() is not None]
    return killed, stopped


def _polling(port: int, workers: Workers, count: int) -> None:
    """Wait until ``count`` broker processes have talked to Redis (each worker process
    registers its heartbeat with its first command)."""
    with redis.Redis(port=port) as client:
        _wait(lambda: client.zcard("dramatiq:__heartbeats__") >= count, workers,
              f"{count} workers poll the queue")


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
    _polling(own_redis.port, workers, 2)
    [job_id] = _send(own_redis.url, world, "train_model",
                     [{"kind": "ltv", "horizon_days": 30}])
    # Past "reading": building features, then fitting, then the one transaction storing
    # the version (the write lock holds it back).
    _wait(lambda: _job(world, job_id).progress >= 0.25, workers, "training is under way")
    with _writes_held(sqlite_url):
        job = _job(world, job_id)
        assert [v.id for v in runner.list_versions(world)] == [active.id], \
            "the version was stored before the kill: the test lost its race"
        killed_at, stopped = _kill(_pid(job), workers)
    dead = _pid(job)

    # Nothing of the killed run is stored; the row still says running under the dead pid.
    assert [(v.id, v.active) for v in runner.list_versions(world)] == [(active.id, True)]
    after_kill = _job(world, job_id)
    assert (after_kill.state, _pid(after_kill)) == ("running", dead)

    _wait(lambda: _job(world, job_id).state not in ("queued", "running"), workers,
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
    _broker_is_empty(own_redis.port)
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
    job_ids = _send(own_redis.url, world, "score_customers",
                    [{"version": new.id, "shard": shard, "shards": 2, "run": run.id}
                     for shard in range(2)])
    before = runner.export_scores(world)
    assert before.height == CUSTOMERS
    assert before["churn_model_version"].unique().to_list() == [old.id]

    workers.start()

    def one_done_one_running() -> bool:
        return sorted(_job(world, job_id).state for job_id in job_ids) == ["done", "running"]

    _wait(one_done_one_running, workers, "one shard is written and the other is scoring")
    with _writes_held(sqlite_url):
        [killed_job] = [_job(world, job_id) for job_id in job_ids
                        if _job(world, job_id).state == "running"]
        assert _count(world, "score_shard WHERE run_id = " + str(int(run.id or 0))) == 1, \
            "the second shard was written before the kill: the test lost its race"
        killed_at, _ = _kill(_pid(killed_job), workers)
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
    _wait(lambda: all(_job(world, job_id).state == "done" for job_id in job_ids), workers,
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
    _wait(lambda: _job(world, max(job_ids) + 1).state == "done", workers,
          "the segment refresh queued by the publishing shard is done")
    _broker_is_empty(own_redis.port)
    print(f"scoring killed (heartbeat timeout {HEARTBEAT_TIMEOUT_S} s, second worker "
          "started after the kill): "
          f"{_timings(killed_at, retried, second_started)}")


def test_a_job_outlasting_the_heartbeat_timeout_on_a_live_worker_runs_once(
        sqlite_url: str, world: Engine, own_redis: OwnRedis, workers: Workers) -> None:
    from server.runners import predictions as runner

    for _ in range(2):
        workers.start()
    _polling(own_redis.port, workers, 2)
    [job_id] = _send(own_redis.url, world, "train_model",
                     [{"kind": "ltv", "horizon_days": 30, "score": False}])
    _wait(lambda: _job(world, job_id).progress >= 0.25, workers, "training is under way")
    running = _job(world, job_id)
    # The job is held back three heartbeat timeouts: the idle worker polls all the while
    # and would take the message if the busy worker's heartbeats stopped.
    with _writes_held(sqlite_url):
        time.sleep(3 * HEARTBEAT_TIMEOUT_S)
    _wait(lambda: _job(world, job_id).state == "done", workers, "the training is done")

    done = _job(world, job_id)
    assert done.detail is not None and done.detail.startswith(f"pid {_pid(running)}: version ")
    assert done.started_at == running.started_at  # started once
    assert [v.job_id for v in runner.list_versions(world)] == [job_id]
    assert all(worker.poll() is None for worker in workers.started)
    _broker_is_empty(own_redis.port)
    assert "running it again" not in workers.output()
