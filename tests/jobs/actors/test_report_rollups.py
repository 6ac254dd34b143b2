"""refresh_report_rollups: large changes go to the job, which brings every stale
campaign's breakdowns up to date and is safe to run twice."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from jobs.actors.report_rollups import refresh_report_rollups
from jobs.broker import broker
from server.db.models import JobRun
from server.db.repository.jobs import create_job_run, get_job_run
from server.db.repository.reports import breakdown_rollup_frame
from server.runners import snapshot as snapshot_module
from tests.schema.conftest import data_of
from tests.worlds.dashboard import load_world

PROVIDERS = "{ dashboard { pendingCampaignCount providers { rows { key counters { sent } } } } }"


@pytest.fixture
def world(engine: Engine) -> Engine:
    load_world(engine)
    yield engine
    engine.dispose()


def _run_job(engine: Engine) -> JobRun:
    with Session(engine) as session:
        job_id = create_job_run(session=session, actor="refresh_report_rollups", args={}).id
        session.commit()
    assert job_id is not None
    refresh_report_rollups.fn(job_id=job_id)
    with Session(engine) as session:
        job = get_job_run(session=session, job_id=job_id)
        assert job is not None
        return job


async def test_large_changes_are_queued_and_the_job_refreshes_them(
        world: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_module, "INLINE_SENDS", 5)
    board = (await data_of(world, PROVIDERS))["dashboard"]
    # 12 changed sends are more than the inline limit: the page shows what is there (nothing
    # yet) and says two campaigns are being recomputed.
    assert board == {"pendingCampaignCount": 2, "providers": {"rows": []}}
    with Session(world) as session:
        queued = session.exec(select(JobRun)).all()
    assert [(job.actor, job.state) for job in queued] == [("refresh_report_rollups", "queued")]
    assert broker.queues["default"].qsize() == 1
    # Asking again does not queue a second job while the first is unfinished.
    await data_of(world, PROVIDERS)
    with Session(world) as session:
        assert len(session.exec(select(JobRun)).all()) == 1

    job = _run_job(world)
    assert (job.state, job.progress, job.detail.split(": ", 1)[1]) == (
        "done", 1.0, "2 campaigns refreshed")
    board = (await data_of(world, PROVIDERS))["dashboard"]
    assert board["pendingCampaignCount"] == 0
    assert [row["counters"]["sent"] for row in board["providers"]["rows"]] == [5, 5, 2]


def test_running_twice_changes_nothing(world: Engine) -> None:
    _run_job(world)
    first = breakdown_rollup_frame(engine=world).sort("campaign_id", "variant_id",
                                                      "email_domain")
    job = _run_job(world)
    assert job.state == "done" and job.detail.endswith("0 campaigns refreshed")
    assert breakdown_rollup_frame(engine=world).sort(
        "campaign_id", "variant_id", "email_domain").equals(first)
