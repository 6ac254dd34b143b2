"""Starting a background job."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.jobs.types import Job, JobActor, JobNotStarted
from server.runners.jobs import start_job

RunJobResult = Annotated[Job | JobNotStarted, strawberry.union("RunJobResult")]


@strawberry.type
class JobMutation:
    @strawberry.mutation(description="Start a background job. Needs analyst (admin for "
                                     "APPLY_RETENTION, which deletes data).")
    async def run_job(self, info: Info[Context, Any], actor: JobActor) -> RunJobResult:
        require(info, "admin" if actor is JobActor.APPLY_RETENTION else "analyst")
        outcome = await asyncio.to_thread(start_job, info.context.engine, actor.value,
                                          actor.name)
        if isinstance(outcome, str):
            return JobNotStarted(message=outcome)
        return Job.from_row(outcome)
