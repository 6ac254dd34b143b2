"""Training and activating model versions, recomputing send times. All need the
analyst role."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.errors import Error, NotFound
from schema.jobs.types import Job, JobNotStarted
from schema.predictions.types import ModelKind, ModelVersion
from server.runners import predictions as runner
from server.runners.jobs import start_job


@strawberry.type(description="The arguments were refused; nothing was started.")
class InvalidModelArguments(Error):
    pass


ActivateModelResult = Annotated[ModelVersion | NotFound,
                                strawberry.union("ActivateModelResult")]
TrainModelResult = Annotated[Job | JobNotStarted | InvalidModelArguments,
                             strawberry.union("TrainModelResult")]

ComputeSendTimesResult = Annotated[Job | JobNotStarted,
                                   strawberry.union("ComputeSendTimesResult")]


@strawberry.type
class PredictionMutation:
    @strawberry.mutation(description="Train a model version in a background job (the "
                                     "job's progress shows on the jobs and predictions "
                                     "pages). Needs analyst.")
    async def train_model(self, info: Info[Context, Any], kind: ModelKind,
                          as_of: datetime | None = None,
                          horizon_days: int | None = None) -> TrainModelResult:
        require(info, "analyst")
        params = runner.TrainParams(
            kind=kind.value, as_of=as_of,
            horizon_days=(runner.default_horizon_days(kind.value, info.context.settings)
                          if horizon_days is None else horizon_days))
        try:
            params.validate()
        except ValueError as error:
            return InvalidModelArguments(message=str(error))
        args: dict[str, Any] = {"kind": kind.value, "horizon_days": params.horizon_days,
                                "as_of": None if as_of is None else as_of.isoformat()}
        outcome = await asyncio.to_thread(start_job, info.context.engine, "train_model",
                                          f"training {kind.value}", **args)
        if isinstance(outcome, str):
            return JobNotStarted(message=outcome)
        return Job.from_row(outcome)

    @strawberry.mutation(description="Recompute every customer's best local send hour "
                                     "and weekday in a background job. Needs analyst.")
    async def compute_send_times(self, info: Info[Context, Any]) -> ComputeSendTimesResult:
        require(info, "analyst")
        outcome = await asyncio.to_thread(start_job, info.context.engine,
                                          "score_send_times", "computing send times")
        if isinstance(outcome, str):
            return JobNotStarted(message=outcome)
        return Job.from_row(outcome)

    @strawberry.mutation(description="Make a version the active one of its kind (also "
                                     "rolls back to an older version). Needs analyst.")
    async def activate_model(self, info: Info[Context, Any],
                             id: strawberry.ID) -> ActivateModelResult:
        require(info, "analyst")
        if not str(id).isdigit():
            return NotFound(id=id, message=f"model version {id!r} does not exist; ids are "
                                           "numbers from the models query")
        try:
            row = await asyncio.to_thread(runner.activate, info.context.engine, int(id))
        except LookupError as error:
            return NotFound(id=id, message=str(error))
        return ModelVersion.from_row(row)

