"""Job run reads."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import col
from strawberry.types import Info

from schema.context import Context, in_session, require
from schema.jobs.types import Job, JobState
from schema.pagination import DEFAULT_PAGE, Connection, connection, page_window
from server.db import models
from server.db.repository.jobs import get_job_run
from server.db.repository.listing import page_of


@strawberry.type
class JobQuery:
    @strawberry.field(description="Job runs, newest first.")
    async def jobs(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                   after: str | None = None, state: JobState | None = None) -> Connection[Job]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        conditions = [] if state is None else [col(models.JobRun.state) == state.value]
        order = [col(models.JobRun.id).desc()]
        rows, total = await in_session(
            info, lambda session: page_of(session=session, model=models.JobRun,
                                            conditions=conditions, order=order,
                                            offset=offset, first=limit))
        return connection(rows, offset=offset, first=limit, total=total, to_node=Job.from_row)

    @strawberry.field
    async def job(self, info: Info[Context, Any], id: strawberry.ID) -> Job | None:
        require(info, "viewer")
        try:
            job_id = int(id)
        except ValueError:
            return None
        row = await in_session(info, lambda session: get_job_run(session=session,
                                                                 job_id=job_id))
        return Job.from_row(row) if row is not None else None
