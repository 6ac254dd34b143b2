"""raise_budget_alerts: the scheduled check records its job, raises alerts with the
configured thresholds, and is safe to run twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from jobs.actors.budget_alerts import raise_budget_alerts
from server.db.models import JobRun
from server.db.repository.jobs import create_job_run, get_job_run
from server.runners import budget as runner
from server.settings import Settings, configure
from tests.server.runners.budget_world import load_budget_world


@pytest.fixture
def world(engine: Engine) -> Engine:
    load_budget_world(engine)
    runner.save_plans(engine, date(2026, 3, 1), {"search": Decimal(100),
                                                 "social": Decimal(500)}, "USD", "ana")
    yield engine
    engine.dispose()


def _run(engine: Engine, **args: str) -> JobRun:
    with Session(engine) as session:
        job_id = create_job_run(session=session, actor="spend_alerts", args=args).id
        session.commit()
    assert job_id is not None
    raise_budget_alerts.fn(job_id=job_id, **args)
    with Session(engine) as session:
        job = get_job_run(session=session, job_id=job_id)
        assert job is not None
        return job


def test_the_job_raises_alerts_once(world: Engine, settings: Settings) -> None:
    configure(database_url=settings.database_url, secret_key=settings.secret_key,
              broker_url=None, budget_high_cpa=230.0)
    job = _run(world, as_of="2026-03-10")
    assert job.state == "done"
    assert job.detail.split(": ", 1)[1] == "3 new alerts, 0 still open"
    alerts = sorted((a.kind, a.category) for a in runner.list_alerts(world))
    # search burns 150 of 100 a third into March; over January-March under the split,
    # search pays 234.99 and social 231.27 a conversion (content 227.76 stays under 230)
    assert alerts == [("high_burn_rate", "search"), ("high_cpa", "search"),
                      ("high_cpa", "social")]
    again = _run(world, as_of="2026-03-10")
    assert again.detail.split(": ", 1)[1] == "0 new alerts, 3 still open"
    assert len(runner.list_alerts(world)) == 3
