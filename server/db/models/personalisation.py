"""Personalisation: templates (subject, body, call to action), the rules whose content
templates read as ``rules.<key>``, which templates a campaign sends, and every
per-customer variant choice the selection policy made, with the probability it had of
making it (so its open rate can be estimated off-policy)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
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


class VariantChoice(SQLModel, table=True):
    """One logged choice: ``customer_id`` gets ``variant_id`` of ``campaign_id`` on
    ``occasion``; ``propensity`` is the probability the stochastic policy had of choosing
    that variant (never 0: an epsilon share is uniform), ``predicted`` the model's
    P(open or click) of the chosen variant, ``best_variant`` the variant with the highest
    prediction for this customer (for the always-best-predicted target policy)."""

    __tablename__ = "variant_choice"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id", "occasion",
                                       name="uq_variant_choice_occasion"),
                      Index("ix_variant_choice_campaign_variant", "campaign_id", "variant_id"))

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(max_length=128)
    customer_id: str = Field(max_length=128)
    occasion: str = Field(default="send", max_length=64)
    variant_id: str = Field(max_length=64)
    variants: int
    propensity: float
    predicted: float
    best_variant: str = Field(max_length=64)
    target: str = Field(default="open", max_length=8)
    policy: str = Field(max_length=64)
    policy_version: str = Field(max_length=16)
    model_version: int | None = None
    chosen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
