"""Target changes."""

from __future__ import annotations

import strawberry

from schema.metrics import Metric


@strawberry.input
class TargetInput:
    metric: Metric
    target: float | None = strawberry.field(description="Null removes the metric's target.")


@strawberry.input(description="Changes to the targets; metrics not listed keep theirs.")
class TargetsInput:
    targets: list[TargetInput] = strawberry.field(default_factory=list)
    warning_band: float | None = None
