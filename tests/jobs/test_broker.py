"""Fault test: the Redis broker restarts with jobs queued (and again while a worker runs).
Nothing queued is lost, nothing finished runs twice, and the worker recovers by itself.

It runs its own throw-away redis-server (append-only file, fsync always, as production
should) on a free loopback port, real ``mailscope worker`` processes and a SQLite database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dramatiq
import pytest
import redis
from sqlalchemy import Engine
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
