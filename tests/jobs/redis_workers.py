"""Real ``mailscope worker`` processes on a throw-away redis-server of the test's own, for
the broker's fault tests: start and kill workers, queue jobs as ``jobs.send`` does, hold
SQLite's write lock so a kill lands before a job's commit, and check nothing is left in
Redis."""

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
import redis
from sqlalchemy import Engine
from sqlmodel import Session

from jobs.broker import QUEUE
from server.db.repository.jobs import create_job_run

MAILSCOPE = Path(sys.executable).with_name("mailscope")
REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
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


def send_jobs(broker_url: str, engine: Engine, actor: str,
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


def wait_until(condition: Callable[[], bool], workers: Workers, what: str,
          seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}:\n" \
                                            f"{workers.output()}"
        time.sleep(0.02)


@contextlib.contextmanager
def writes_held(database_url: str) -> Iterator[None]:
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


def broker_is_empty(port: int) -> None:
    with redis.Redis(port=port) as client:
        assert client.llen("dramatiq:default") == 0
        assert client.hlen("dramatiq:default.msgs") == 0  # every message acked
        assert client.zcard("dramatiq:default.XQ") == 0  # no dead letters
        assert client.keys("dramatiq:__acks__*") == []  # nothing held by any worker


def kill_worker(pid: int, workers: Workers) -> tuple[datetime, subprocess.Popen[bytes]]:
    """SIGKILL the worker process ``pid``; returns when, and its ``mailscope worker``."""
    os.kill(pid, signal.SIGKILL)
    killed = datetime.now(UTC)
    # Dramatiq's main process sees its worker process die and stops.
    wait_until(lambda: any(worker.poll() is not None for worker in workers.started), workers,
          "the killed worker's main process stops", seconds=60)
    [stopped] = [worker for worker in workers.started if worker.poll() is not None]
    return killed, stopped


def wait_polling(port: int, workers: Workers, count: int) -> None:
    """Wait until ``count`` broker processes have talked to Redis (each worker process
    registers its heartbeat with its first command)."""
    with redis.Redis(port=port) as client:
        wait_until(lambda: client.zcard("dramatiq:__heartbeats__") >= count, workers,
              f"{count} workers poll the queue")
