"""runJob: analysts enqueue a job; other roles are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from server.db.models import JobRun
from tests.schema.conftest import ANALYST, INGEST, VIEWER, data_of, messages_of, run

RUN_JOB = """
mutation { runJob(actor: REBUILD_ROLLUPS) {
  __typename ... on Job { id actor state progress } ... on Error { message } } }
"""


async def test_analyst_runs_a_job(db: Engine) -> None:
    data = await data_of(db, RUN_JOB, user=ANALYST)
    job = data["runJob"]
    assert job == {"__typename": "Job", "id": job["id"], "actor": "rebuild_rollups",
                   "state": "QUEUED", "progress": 0.0}
    with Session(db) as session:
        row = session.get(JobRun, int(job["id"]))
        assert row is not None
        assert (row.actor, row.state) == ("rebuild_rollups", "queued")


@pytest.mark.parametrize("user", [VIEWER, INGEST], ids=["viewer", "ingest"])
async def test_run_job_needs_analyst(db: Engine, user: object) -> None:
    result = await run(db, RUN_JOB, user=user)  # type: ignore[arg-type]
    assert result.data is None
    role = "viewer" if user is VIEWER else "ingest"
    assert messages_of(result) == [
        f"'runJob' needs the analyst role (or admin); the key '{role} key' has the {role} "
        "role. Ask an admin for a key with the analyst role."]
