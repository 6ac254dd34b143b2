"""``mailscope worker`` and ``mailscope jobs``: in embedded mode, and two worker processes
on a real Redis broker draining enqueued jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from jobs.send import ACTORS
from server.cli import app
from server.db.models import JobRun
from server.db.repository.jobs import create_job_run
from server.settings import Settings
from tests.jobs.actors.test_rollups import _corrupt, _rollups, _seed

runner = CliRunner()


def test_run_wait_list_and_show(settings: Settings, engine: Engine) -> None:
    _seed(engine)
    expected = _rollups(engine)
    _corrupt(engine)
    url = ["--database-url", settings.database_url]

    result = runner.invoke(app, ["jobs", "run", "rebuild_rollups", "--wait", *url])
    assert result.exit_code == 0, result.output
    assert "job 1 queued: rebuild_rollups" in result.output
    assert "job 1 done: pid " in result.output
    assert result.output.rstrip().endswith("121 campaigns, 240 rollup rows")
    assert _rollups(engine) == expected

    listed = runner.invoke(app, ["jobs", "list", "--state", "done", *url])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[1].split()[:4] == ["1", "rebuild_rollups", "done",
                                                          "100%"]
    shown = runner.invoke(app, ["jobs", "show", "1", *url])
    assert "state: done" in shown.output and "progress: 1.0" in shown.output


def test_errors_name_the_fix(settings: Settings) -> None:
    url = ["--database-url", settings.database_url]
    unknown = runner.invoke(app, ["jobs", "run", "nope", *url])
    assert unknown.exit_code == 1
    assert (f"unknown job actor 'nope'; known actors: {', '.join(sorted(ACTORS))}"
            in " ".join(unknown.output.split()))
    missing = runner.invoke(app, ["jobs", "show", "42", *url])
    assert missing.exit_code == 1
    assert "no job with id 42" in missing.output
    bad_state = runner.invoke(app, ["jobs", "list", "--state", "finished", *url])
    assert bad_state.exit_code == 1 and "--state 'finished' is not a job state" in bad_state.output
    worker = runner.invoke(app, ["worker", *url], env={"MAILSCOPE_BROKER_URL": ""})
    assert worker.exit_code == 1
    assert "MAILSCOPE_BROKER_URL is not set" in worker.output


pytestmark = pytest.mark.redis


# A Redis database of its own, flushed before and after, so parallel or stale runs of
# other tests never see these messages.
REDIS_DB = 11


JOBS = 6


MAILSCOPE = Path(sys.executable).with_name("mailscope")


@pytest.fixture
def broker_url(redis_url: str) -> Iterator[str]:
    url = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _enqueue(broker_url: str, database_url: str) -> list[int]:
    # The test process's broker is the stub one; enqueue through a process configured
    # exactly like a production API process would be.
    code = ("import jobs; print(' '.join(str(jobs.send('rebuild_rollups')) "
            f"for _ in range({JOBS})))")
    env = {**os.environ, "MAILSCOPE_BROKER_URL": broker_url,
           "MAILSCOPE_DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True, timeout=60)
    return [int(value) for value in out.stdout.split()]


def test_two_worker_processes_finish_every_job(settings: object, engine: Engine,
                                              database_url: str, broker_url: str,
                                              tmp_path: Path) -> None:
    _seed(engine)
    expected = _rollups(engine)
    _corrupt(engine)
    with Session(engine) as session:
        # A row nobody enqueued stays queued: workers only run what the broker delivers.
        orphan = create_job_run(session=session, actor="rebuild_rollups", args={}).id
        session.commit()

    env = {**os.environ, "MAILSCOPE_BROKER_URL": broker_url,
           "MAILSCOPE_DATABASE_URL": database_url}
    workers = [subprocess.Popen([str(MAILSCOPE), "worker", "--processes", "1",
                                 "--threads", "1"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for _ in range(2)]
    try:
        job_ids = _enqueue(broker_url, database_url)
        deadline = time.monotonic() + 90
        while True:
            with Session(engine) as session:
                rows = session.exec(select(JobRun).where(col(JobRun.id).in_(job_ids))).all()
                states = sorted(job.state for job in rows)
            if states == ["done"] * JOBS or time.monotonic() > deadline:
                break
            assert all(worker.poll() is None for worker in workers), "a worker exited early"
            time.sleep(0.3)
        assert states == ["done"] * JOBS
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=60)[0].decode() for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert _rollups(engine) == expected
    with Session(engine) as session:
        rows = session.exec(select(JobRun).where(col(JobRun.id).in_(job_ids))).all()
        pids = {job.detail.split(":")[0] for job in rows if job.detail}
        assert session.get(JobRun, orphan).state == "queued"
    assert len(pids) >= 1 and f"pid {os.getpid()}" not in pids
    print(f"jobs ran in worker processes: {sorted(pids)}")
