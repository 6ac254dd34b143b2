"""Budget plans per month and category, the alerts raised against them, the cost-type
mapping to categories, and the audit trail of budget changes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db.types import MONEY, UTCDateTime, utcnow

ALERT_KINDS = ("low_roi", "high_burn_rate", "high_cpa")


class BudgetPlanBase(SQLModel):
    # The first day of the plan's month.
    month: date
    category: str = Field(max_length=64)
    allocated: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    currency: str = Field(max_length=3)


class BudgetPlan(BudgetPlanBase, table=True):
    __tablename__ = "budget_plan"
    __table_args__ = (UniqueConstraint("month", "category", name="uq_budget_plan_month"),)

    id: int | None = Field(default=None, primary_key=True)
    updated_by: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BudgetAlert(SQLModel, table=True):
    __tablename__ = "budget_alert"
    __table_args__ = (Index("ix_budget_alert_open", "acknowledged_at", "kind", "category"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    category: str = Field(max_length=64)
    month: date
    value: float
    threshold: float
    message: str = Field(sa_column=Column(Text, nullable=False))
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Re-raising an open alert updates it instead of adding a copy.
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=200)


class BudgetCostType(SQLModel, table=True):
    """An edited cost type -> category mapping; cost types not here use the defaults."""

    __tablename__ = "budget_cost_type"

    cost_type: str = Field(primary_key=True, max_length=64)
    category: str = Field(max_length=64)


class BudgetAudit(SQLModel, table=True):
    __tablename__ = "budget_audit"

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=32)
    actor: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # JSON: what changed, before and after.
    detail: str = Field(sa_column=Column(Text, nullable=False))
