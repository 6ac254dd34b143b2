"""Job runs as the API shows them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.errors import Error
from server.db import models


@strawberry.enum
class JobState(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@strawberry.enum(description="Jobs a caller may start with runJob.")
class JobActor(Enum):
    REBUILD_ROLLUPS = "rebuild_rollups"
    REFRESH_REPORT_ROLLUPS = strawberry.enum_value(
        "refresh_report_rollups",
        description="Recompute the provider, send-hour and segment breakdowns that changed.")
    REFRESH_SEGMENTS = strawberry.enum_value(
        "refresh_segments",
        description="Prove segment membership, then recompute every profile and segment.")
    EVALUATE_TRIGGERS = strawberry.enum_value(
        "evaluate_triggers",
        description="The trigger sweep: decide every occasion that has fallen due.")
    APPLY_RETENTION = strawberry.enum_value(
        "apply_retention",
        description="Delete raw events older than the retention period (admin).")


@strawberry.type
class Job:
    id: strawberry.ID
    actor: str
    state: JobState
    progress: float = strawberry.field(description="0.0 to 1.0.")
    detail: str | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: models.JobRun) -> Job:
        return cls(id=strawberry.ID(str(row.id)), actor=row.actor, state=JobState(row.state),
                   progress=row.progress, detail=row.detail, error=row.error,
                   created_at=row.created_at, started_at=row.started_at,
                   finished_at=row.finished_at)


@strawberry.type
class JobNotStarted(Error):
    pass
