"""A customer's journey: timeline, stage and predicted next action."""

from __future__ import annotations

from datetime import datetime

import strawberry

from analytics.journeys.stages import JOURNEY_STAGES
from server.runners.journeys import Journey as JourneyResult


@strawberry.type(description="One thing that happened to or by the customer.")
class TimelineEntry:
    at: datetime
    source: str = strawberry.field(description="email, touchpoint, behavior or order.")
    action: str = strawberry.field(description="email_sent, email_open, email_click, "
                                               "email_unsubscribe, touch_<channel>, the "
                                               "behaviour type, or order.")
    detail: str | None = strawberry.field(description="The campaign, product or order id.")


@strawberry.type(description="The action most often observed after the customer's latest "
                             "action, from their own history.")
class NextAction:
    after: str | None = strawberry.field(description="The customer's latest action.")
    action: str | None = strawberry.field(description="Null when nothing was ever "
                                                      "observed after it.")
    probability: float | None
    observed: int = strawberry.field(description="How often the latest action was "
                                                 "followed by anything.")


@strawberry.type
class Journey:
    stage: str = strawberry.field(description="One of " + ", ".join(JOURNEY_STAGES)
                                  + " (rules in the README).")
    stage_reason: str
    events: int = strawberry.field(description="Timeline entries up to asOf.")
    next_action: NextAction
    timeline: list[TimelineEntry] = strawberry.field(description="Newest first.")

    @classmethod
    def from_result(cls, result: JourneyResult) -> Journey:
        nxt = result.next_action
        return cls(stage=result.stage.stage, stage_reason=result.stage.reason,
                   events=result.events,
                   next_action=NextAction(after=nxt.after, action=nxt.action,
                                          probability=nxt.probability, observed=nxt.observed),
                   timeline=[TimelineEntry(**row) for row in
                             result.timeline.iter_rows(named=True)])
