"""A customer's journey: their timeline, current stage (with the rule that placed them)
and the predicted next action from their own observed transitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Engine

from analytics.journeys.stages import TIMELINE_SCHEMA, Stage, journey_stage
from analytics.journeys.transitions import NextAction, predict_next
from server.db.repository.timeline import customer_timeline
from server.db.types import utcnow


@dataclass(frozen=True)
class Journey:
    """The timeline (newest first, at most ``limit`` rows), the stage and the prediction."""

    timeline: pl.DataFrame
    events: int
    stage: Stage
    next_action: NextAction


def journey(engine: Engine, customer_id: str, *, as_of: datetime | None = None,
            limit: int = 100) -> Journey:
    """The journey of ``customer_id`` as of ``as_of`` (now)."""
    as_of = as_of or utcnow()
    with engine.connect() as connection:
        timeline = customer_timeline(connection, customer_id, TIMELINE_SCHEMA)
    past = timeline.filter(pl.col("at") <= as_of)
    return Journey(timeline=past.reverse().head(limit), events=past.height,
                   stage=journey_stage(past, as_of), next_action=predict_next(past))
