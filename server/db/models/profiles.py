"""Customer profiles: one row per customer, recomputed as their data arrives."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime


class CustomerProfile(SQLModel, table=True):
    """A customer's derived measures as of ``computed_at`` (see
    ``analytics.customers.profiles`` for each column's definition)."""

    __tablename__ = "customer_profile"

    customer_id: str = Field(primary_key=True, max_length=128)
    country: str | None = Field(default=None, max_length=2)
    email_domain: str | None = Field(default=None, max_length=255)
    signup_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    purchases: int = 0
    lifetime_revenue: float = 0.0
    average_order_value: float | None = None
    purchase_frequency: float = 0.0
    last_purchase_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    days_since_last_purchase: float | None = None
    sends: int = 0
    open_rate_30d: float | None = None
    open_rate_90d: float | None = None
    click_rate_30d: float | None = None
    click_rate_90d: float | None = None
    sessions: int = 0
    pages_per_session: float | None = None
    session_duration: float | None = None
    preferred_category: str | None = Field(default=None, max_length=128)
    preferred_categories: str | None = Field(default=None, max_length=400)
    device_preference: str | None = Field(default=None, max_length=16)
    preferred_send_hour: int | None = None
    engagement_score: float = 0.0
    engagement_level: str = Field(default="none", max_length=16)
    lifecycle_stage: str = Field(default="new", index=True, max_length=16)
    last_activity_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opted_out: bool = False
    # From the published churn scoring run; null while the customer has no score.
    churn_probability: float | None = None
    churn_risk: str | None = Field(default=None, max_length=16)
    computed_at: datetime = Field(sa_type=UTCDateTime)
