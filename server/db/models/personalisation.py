"""Personalisation: every per-customer variant choice the selection policy made, with
the probability it had of making it (so its open rate can be estimated off-policy)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow


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
