"""Orders, products, other-channel touchpoints, web behaviour and marketing spend."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from server.db.types import MONEY, UTCDateTime

CHANNELS = ("email", "web", "paid", "social", "sms", "direct", "organic", "referral",
            "display", "affiliate", "push")
BEHAVIOR_TYPES = ("website_visit", "product_view", "category_browse", "cart_add", "cart_remove",
                  "checkout", "search", "wishlist_add")


class OrderBase(SQLModel):
    order_id: str = Field(primary_key=True, max_length=128)
    customer_id: str = Field(max_length=128)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    currency: str = Field(max_length=3)
    # JSON list of line items as sent (product_id, quantity, price), kept verbatim.
    items: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Order(OrderBase, table=True):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_time", "customer_id", "occurred_at"),)

    attributed_message_id: str | None = Field(default=None, max_length=128)
    attributed_campaign_id: str | None = Field(default=None, index=True, max_length=128)
    attributed_touch: str | None = Field(default=None, max_length=16)


class OrderCreate(OrderBase):
    pass


class Product(SQLModel, table=True):
    product_id: str = Field(primary_key=True, max_length=128)
    name: str = Field(max_length=300)
    category: str | None = Field(default=None, index=True, max_length=128)
    price: Decimal | None = Field(default=None, sa_column=Column(MONEY, nullable=True))


class Touchpoint(SQLModel, table=True):
    __table_args__ = (Index("ix_touchpoint_customer_time", "customer_id", "occurred_at"),)

    touchpoint_id: str = Field(primary_key=True, max_length=128)
    customer_id: str = Field(max_length=128)
    channel: str = Field(max_length=32)
    campaign_id: str | None = Field(default=None, max_length=128)
    occurred_at: datetime = Field(sa_type=UTCDateTime)


class BehaviorEvent(SQLModel, table=True):
    __tablename__ = "behavior_event"
    __table_args__ = (Index("ix_behavior_customer_time", "customer_id", "occurred_at"),)

    event_id: str = Field(primary_key=True, max_length=128)
    customer_id: str = Field(max_length=128)
    type: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    product_id: str | None = Field(default=None, max_length=128)
    # JSON object of extra properties, kept verbatim.
    properties: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Spend(SQLModel, table=True):
    spend_id: str = Field(primary_key=True, max_length=128)
    incurred_on: date = Field(index=True)
    category: str = Field(max_length=64)
    cost_type: str | None = Field(default=None, max_length=64)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    currency: str = Field(max_length=3)
    vendor: str | None = Field(default=None, max_length=200)
    campaign_id: str | None = Field(default=None, max_length=128)
