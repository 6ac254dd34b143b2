"""Targets as the API shows and refuses them."""

from __future__ import annotations

import math
from typing import Annotated

import strawberry

from analytics.metrics import METRICS, Targets
from schema.dashboard.inputs import TargetsInput
from schema.errors import FieldError, ValidationErrors
from schema.metrics import Metric, MetricFormat


@strawberry.type
class TargetSetting:
    metric: Metric
    label: str
    target: float | None = strawberry.field(description="Null: the metric has no target.")
    default_target: float | None
    is_default: bool
    higher_is_better: bool
    format: MetricFormat
    minimum: float
    maximum: float | None = strawberry.field(description="Null: no upper bound.")


@strawberry.type(description="Targets in force. A metric missing its target by at most "
                             "warningBand (a share of the target) is WARNING, further BAD.")
class TargetSettings:
    warning_band: float
    default_warning_band: float
    metrics: list[TargetSetting]

    @classmethod
    def from_targets(cls, targets: Targets) -> TargetSettings:
        settings = []
        for definition in METRICS:
            low, high = definition.target_range
            target = targets.target(definition.name)
            settings.append(TargetSetting(
                metric=Metric(definition.name), label=definition.label, target=target,
                default_target=definition.default_target,
                is_default=target == definition.default_target,
                higher_is_better=definition.higher_is_better,
                format=MetricFormat(definition.format.value), minimum=low,
                maximum=high if math.isfinite(high) else None))
        return cls(warning_band=targets.warning_band,
                   default_warning_band=Targets().warning_band, metrics=settings)


SetTargetsResult = Annotated[TargetSettings | ValidationErrors,
                             strawberry.union("SetTargetsResult")]


def target_errors(changes: TargetsInput, problems: dict[str, str]) -> ValidationErrors | None:
    """Every problem of ``changes`` as typed field errors (row: 1-based position in
    ``targets``; 0 for warningBand), or None when there are none."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for row, item in enumerate(changes.targets, start=1):
        name = item.metric.value
        if name in seen:
            errors.append(FieldError(
                row=row, column="metric", value=name,
                message=f"{name} is listed twice (rows {seen[name]} and {row}); keep one"))
            continue
        seen[name] = row
        if name in problems:
            errors.append(FieldError(row=row, column="target",
                                     value=None if item.target is None else str(item.target),
                                     message=problems[name]))
    if "warning_band" in problems:
        errors.append(FieldError(row=0, column="warningBand", value=str(changes.warning_band),
                                 message=problems["warning_band"]))
    if not errors:
        return None
    summary = "; ".join(error.message for error in errors)
    return ValidationErrors(message=f"Targets were not changed: {summary}", errors=errors)
