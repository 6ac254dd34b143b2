"""Target writes. Needs admin."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.dashboard.inputs import TargetsInput
from schema.dashboard.targets import SetTargetsResult, TargetSettings, target_errors
from server.runners.targets import reset_targets, save_targets, target_problems


@strawberry.type
class DashboardMutation:
    @strawberry.mutation(description="Change metric targets or the warning band. Needs "
                                     "admin. Refusals name the metric and the allowed range; "
                                     "nothing changes then.")
    async def set_targets(self, info: Info[Context, Any],
                          input: TargetsInput) -> SetTargetsResult:
        user = require(info, "admin")
        changes: dict[str, object] = {item.metric.value: item.target for item in input.targets}
        if input.warning_band is not None:
            changes["warning_band"] = input.warning_band
        refusal = target_errors(input, target_problems(changes))
        if refusal is not None:
            return refusal
        targets = await asyncio.to_thread(save_targets, info.context.engine, changes,
                                          updated_by=user.name)
        return TargetSettings.from_targets(targets)

    @strawberry.mutation(description="Restore every default target. Needs admin.")
    async def reset_targets(self, info: Info[Context, Any]) -> TargetSettings:
        user = require(info, "admin")
        targets = await asyncio.to_thread(reset_targets, info.context.engine,
                                          updated_by=user.name)
        return TargetSettings.from_targets(targets)
