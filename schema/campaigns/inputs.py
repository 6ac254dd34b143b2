"""Campaign list filters and the campaign write inputs."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry


@strawberry.enum
class CampaignOrderField(Enum):
    SEND_AT = "send_at"
    NAME = "name"
    ID = "campaign_id"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class CampaignOrder:
    field: CampaignOrderField = CampaignOrderField.SEND_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class CampaignFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in the name or subject line.")
    campaign_type: str | None = None
    category: str | None = None
    sent_from: datetime | None = strawberry.field(
        default=None, description="Sent at or after this instant.")
    sent_to: datetime | None = strawberry.field(
        default=None, description="Sent before this instant.")


@strawberry.input
class CampaignInput:
    id: strawberry.ID
    name: str
    subject_line: str | None = None
    sender_name: str | None = None
    campaign_type: str | None = None
    category: str | None = None
    template_id: str | None = None
    send_at: datetime | None = None
    html: str | None = strawberry.field(
        default=None, description="The body as sent; its links, images, calls to action "
                                  "and text length are counted from it.")
    template_type: str | None = strawberry.field(
        default=None, description="plain_text, single_column, multi_column or product_grid.")


@strawberry.input(description="Fields to change; omitted fields keep their value.")
class CampaignPatch:
    name: str | None = strawberry.UNSET
    subject_line: str | None = strawberry.UNSET
    sender_name: str | None = strawberry.UNSET
    campaign_type: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    template_id: str | None = strawberry.UNSET
    send_at: datetime | None = strawberry.UNSET
    html: str | None = strawberry.UNSET
    template_type: str | None = strawberry.UNSET
