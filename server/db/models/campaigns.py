"""Campaigns and their A/B variants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime


class CampaignBase(SQLModel):
    campaign_id: str = Field(primary_key=True, max_length=128)
    name: str = Field(max_length=300)
    subject_line: str | None = Field(default=None, max_length=500)
    sender_name: str | None = Field(default=None, max_length=200)
    campaign_type: str | None = Field(default=None, index=True, max_length=64)
    category: str | None = Field(default=None, index=True, max_length=64)
    template_id: str | None = Field(default=None, max_length=128)
    send_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # The body as sent (optional) and how its template is built (TEMPLATE_TYPES).
    html: str | None = Field(default=None, sa_type=Text)
    template_type: str | None = Field(default=None, max_length=32)


class Campaign(CampaignBase, table=True):
    # Counted from ``html`` by the import (analytics.predictions.content), null without it.
    content_length: int | None = None
    link_count: int | None = None
    image_count: int | None = None
    cta_count: int | None = None


class CampaignCreate(CampaignBase):
    pass


class CampaignPublic(CampaignBase):
    pass


class CampaignVariantBase(SQLModel):
    campaign_id: str = Field(primary_key=True, max_length=128)
    variant_id: str = Field(primary_key=True, max_length=64)
    subject_line: str | None = Field(default=None, max_length=500)
    weight: float = 1.0


class CampaignVariant(CampaignVariantBase, table=True):
    __tablename__ = "campaign_variant"
