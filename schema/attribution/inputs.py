"""Attribution inputs: position weights and aggregated paths."""

from __future__ import annotations

import strawberry


@strawberry.input(description="Position-based (U-shaped) weights; they must sum to 1.")
class PositionWeightsInput:
    first: float = 0.4
    middle: float = 0.2
    last: float = 0.4


@strawberry.input(description="One aggregated path, as in a path file row.")
class PathInput:
    path: list[str] = strawberry.field(description="Steps in order, e.g. [\"email\", \"web\"].")
    conversions: float
    value: float = 0.0
    nulls: float = strawberry.field(default=0.0, description="Journeys that did not convert.")
