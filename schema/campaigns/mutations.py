"""Campaign writes, through ingestion. Needs admin."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.campaigns.inputs import CampaignInput, CampaignPatch
from schema.campaigns.types import Campaign
from schema.context import Context
from schema.errors import NotFound, ValidationErrors
from schema.ingest.records import input_values, upsert
from server.db import models

CampaignResult = Annotated[Campaign | ValidationErrors | NotFound,
                           strawberry.union("CampaignResult")]


@strawberry.type
class CampaignMutation:
    @strawberry.mutation(description="Needs admin.")
    async def create_campaign(self, info: Info[Context, Any],
                              input: CampaignInput) -> CampaignResult:
        return await upsert(info, "campaigns", models.Campaign, str(input.id),
                             input_values(input), Campaign.from_row, must_exist=False)

    @strawberry.mutation(description="Needs admin.")
    async def update_campaign(self, info: Info[Context, Any], id: strawberry.ID,
                              patch: CampaignPatch) -> CampaignResult:
        return await upsert(info, "campaigns", models.Campaign, str(id),
                             input_values(patch), Campaign.from_row, must_exist=True)
