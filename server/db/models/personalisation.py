"""Personalisation: templates (subject, body, call to action), the rules whose content
templates read as ``rules.<key>``, and which templates a campaign sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow

TEMPLATE_KINDS = ("subject", "body", "cta")


class ContentTemplate(SQLModel, table=True):
    """A template's current source; ``version`` counts its saves (1 when created)."""

    __tablename__ = "content_template"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=16)
    source: str = Field(sa_column=Column(Text, nullable=False))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PersonalisationRule(SQLModel, table=True):
    """When ``condition`` (segment language) holds, ``key`` takes ``value``; higher
    ``priority`` is tried first and wins its key."""

    __tablename__ = "personalisation_rule"
    __table_args__ = (Index("ix_personalisation_rule_order", "enabled", "priority"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    condition: str = Field(sa_column=Column(Text, nullable=False))
    key: str = Field(max_length=40)
    value: str = Field(sa_column=Column(Text, nullable=False))
    priority: int = 0
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignTemplate(SQLModel, table=True):
    """The template a campaign uses for one kind (at most one per kind)."""

    __tablename__ = "campaign_template"

    campaign_id: str = Field(primary_key=True, foreign_key="campaign.campaign_id",
                             max_length=128)
    kind: str = Field(primary_key=True, max_length=16)
    template_id: int = Field(foreign_key="content_template.id", index=True)
