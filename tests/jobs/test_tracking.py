"""tracked_job: the job_run states, progress and details an actor run records, and
actors that find their row deleted doing nothing."""

from __future__ import annotations

import os

import dramatiq
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from jobs.actors import experiment_webhook as experiments
from jobs.actors import report_rollups as reports
from jobs.actors import rollups as actors
from jobs.actors.experiment_webhook import post_winner_webhook
from jobs.actors.report_rollups import refresh_report_rollups
from jobs.actors.rollups import rebuild_rollups
from jobs.tracking import TrackedJob, error_text, tracked_job
from server.db.models import JobRun
from server.db.repository.jobs import create_job_run, mark_running
from server.settings import Settings

PID = f"pid {os.getpid()}"


class Interrupted(BaseException):
    """Like Dramatiq's Shutdown and TimeLimitExceeded: not an Exception."""


def _new_job(engine: Engine) -> int:
    with Session(engine) as session:
        job_id = create_job_run(session=session, actor="rebuild_rollups", args={}).id
        session.commit()
    assert job_id is not None
    return job_id


def _row(engine: Engine, job_id: int) -> tuple[object, ...]:
    with Session(engine) as session:
        job = session.get(JobRun, job_id)
        assert job is not None
        return (job.state, job.progress, job.detail, job.error)


def _tracked(engine: Engine) -> tuple[int, TrackedJob]:
    job_id = _new_job(engine)
    job = tracked_job(job_id)
    assert job is not None
    return job_id, job


def test_running_progress_done(settings: Settings, engine: Engine) -> None:
    job_id, job = _tracked(engine)
    assert _row(engine, job_id) == ("queued", 0.0, None, None)
    with job.running("listing campaigns"):
        assert _row(engine, job_id) == ("running", 0.0, f"{PID}: listing campaigns", None)
        job.progress(1, 4, "campaigns")
        assert _row(engine, job_id) == ("running", 0.25, f"{PID}: 1/4 campaigns", None)
        job.done("4 campaigns, 9 rollup rows")
    assert _row(engine, job_id) == ("done", 1.0, f"{PID}: 4 campaigns, 9 rollup rows", None)
    with Session(engine) as session:
        row = session.get(JobRun, job_id)
        assert row is not None and row.started_at is not None
        assert row.finished_at is not None


def test_done_without_the_pid(settings: Settings, engine: Engine) -> None:
    job_id, job = _tracked(engine)
    with job.running("experiment 3"):
        job.done("already sent", pid=False)
    assert _row(engine, job_id) == ("done", 1.0, "already sent", None)


def test_leaving_the_block_marks_done_with_the_last_detail(settings: Settings,
                                                           engine: Engine) -> None:
    job_id, job = _tracked(engine)
    with job.running("starting"):
        job.progress(2, 2, "campaigns")
    assert _row(engine, job_id) == ("done", 1.0, f"{PID}: 2/2 campaigns", None)


def test_an_exception_marks_failed_and_is_raised_again(settings: Settings,
                                                       engine: Engine) -> None:
    job_id, job = _tracked(engine)
    with pytest.raises(RuntimeError, match="disk full"), job.running("starting"):
        job.progress(1, 3, "campaigns")
        raise RuntimeError("disk full")
    state, progress, detail, error = _row(engine, job_id)
    assert (state, error) == ("failed", "RuntimeError: disk full")
    assert (progress, detail) == (pytest.approx(1 / 3), f"{PID}: 1/3 campaigns")


def test_a_retry_runs_again_after_a_failure(settings: Settings, engine: Engine) -> None:
    job_id, job = _tracked(engine)
    with pytest.raises(RuntimeError), job.running("first try"):
        raise RuntimeError("lock timeout")
    retry = tracked_job(job_id)
    assert retry is not None
    with retry.running("second try"):
        assert _row(engine, job_id) == ("running", 0.0, f"{PID}: second try", None)
        retry.done("finished")
    assert _row(engine, job_id) == ("done", 1.0, f"{PID}: finished", None)


def test_fail_keeps_its_error_when_the_exception_follows(settings: Settings,
                                                         engine: Engine) -> None:
    job_id, job = _tracked(engine)
    with pytest.raises(ConnectionError), job.running("posting"):
        try:
            raise ConnectionError("refused")
        except ConnectionError as error:
            job.fail(f"POST https://example.com/hook failed: {error_text(error)}")
            raise
    state, _, _, error = _row(engine, job_id)
    assert (state, error) == ("failed",
                              "POST https://example.com/hook failed: ConnectionError: refused")


def test_fail_without_raising_is_final(settings: Settings, engine: Engine) -> None:
    job_id, job = _tracked(engine)
    with job.running("checking"):
        job.fail("webhook URL is not an http(s) URL")
    assert _row(engine, job_id) == ("failed", 0.0, f"{PID}: checking",
                                    "webhook URL is not an http(s) URL")


def test_an_exception_after_done_marks_failed(settings: Settings, engine: Engine) -> None:
    job_id, job = _tracked(engine)
    with pytest.raises(ValueError), job.running("starting"):
        job.done("finished")
        raise ValueError("late")
    state, _, _, error = _row(engine, job_id)
    assert (state, error) == ("failed", "ValueError: late")


def test_an_interrupt_leaves_the_row_running(settings: Settings, engine: Engine) -> None:
    # A worker shutting down (or a time limit) is not the job's failure: the row stays
    # running, and recovery re-enqueues it.
    job_id, job = _tracked(engine)
    with pytest.raises(Interrupted), job.running("starting"):
        raise Interrupted
    assert _row(engine, job_id) == ("running", 0.0, f"{PID}: starting", None)


def test_a_run_left_running_by_a_dead_worker_is_tagged_as_its_retry(
        settings: Settings, engine: Engine) -> None:
    # The Redis broker hands a killed worker's message to another worker: the row still
    # says running, under the dead worker's pid.
    job_id = _new_job(engine)
    mark_running(engine=engine, job_id=job_id, detail="pid 99999: 2/5 campaigns")
    retry = tracked_job(job_id)
    assert retry is not None
    tag = f"{PID} (retry after pid 99999 stopped)"
    with retry.running("starting"):
        assert _row(engine, job_id) == ("running", 0.0, f"{tag}: starting", None)
        retry.done("5 campaigns")
    assert _row(engine, job_id) == ("done", 1.0, f"{tag}: 5 campaigns", None)


def test_a_deleted_row_is_not_tracked(settings: Settings, engine: Engine) -> None:
    job_id = _new_job(engine)
    with Session(engine) as session:
        session.delete(session.get(JobRun, job_id))
        session.commit()
    assert tracked_job(job_id) is None
    assert tracked_job(job_id + 100) is None


def test_progress_of_nothing_is_complete(settings: Settings, engine: Engine) -> None:
    job_id, job = _tracked(engine)
    with job.running("starting"):
        job.progress(0, 0, "campaigns")
        assert _row(engine, job_id)[:3] == ("running", 1.0, f"{PID}: 0/0 campaigns")


def _forbidden(*_: object, **__: object) -> None:
    raise AssertionError("an actor did work for a deleted job_run row")


@pytest.mark.parametrize(("actor", "args", "work"), [
    (rebuild_rollups, {}, (actors.rollups, "rollup_campaign_ids")),
    (refresh_report_rollups, {}, (reports, "rollup_frame")),
    (post_winner_webhook, {"experiment_id": 1}, (experiments, "_load")),
])
def test_an_actor_of_a_deleted_row_does_nothing(
        settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        actor: dramatiq.Actor[..., None], args: dict[str, int],
        work: tuple[object, str]) -> None:
    monkeypatch.setattr(*work, _forbidden)
    job_id = _new_job(engine)
    with Session(engine) as session:
        session.delete(session.get(JobRun, job_id))
        session.commit()
    actor.fn(job_id=job_id, **args)
    with Session(engine) as session:
        assert session.exec(select(JobRun)).all() == []
