"""What each importable kind looks like: its table, key and typed columns."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String

from analytics.predictions.content import CONTENT_COLUMNS, TEMPLATE_TYPES
from server.db.models import (
    BEHAVIOR_TYPES,
    BOUNCE_TYPES,
    CHANNELS,
    EVENT_TYPES,
    BehaviorEvent,
    Campaign,
    CampaignVariant,
    Customer,
    EmailEvent,
    Message,
    Order,
    Product,
    Spend,
    Touchpoint,
)

# Column types: how a value is parsed and which rule it must satisfy.
TEXT, EMAIL, COUNTRY, CURRENCY, TIMEZONE = "text", "email", "country", "currency", "timezone"
DATETIME, DATE, DECIMAL, FLOAT, BOOL = "datetime", "date", "decimal", "float", "bool"
JSON_ARRAY, JSON_OBJECT = "json_array", "json_object"


@dataclass(frozen=True)
class Column:
    name: str
    type: str = TEXT
    required: bool = False
    choices: tuple[str, ...] | None = None
    max_length: int | None = None
    # Value stored when the row leaves it empty (None: stored as NULL).
    default: object = None


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # Columns of the table filled by ingestion itself, never by the file.
    derived: tuple[str, ...] = ()
    # Stored rows are never updated: a known key is a replay and is skipped.
    append_only: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _kind(name: str, model: type, key: tuple[str, ...], *columns: Column,
          derived: tuple[str, ...] = (), append_only: bool = False) -> Kind:
    table = model.__table__  # type: ignore[attr-defined]
    sized = []
    for column in columns:
        length = None
        if column.name in table.columns:
            sql_type = table.columns[column.name].type
            if isinstance(sql_type, String):
                length = sql_type.length
        sized.append(Column(column.name, column.type, column.required, column.choices,
                            length, column.default))
    return Kind(name, table.name, key, tuple(sized), derived, append_only)


KINDS_BY_NAME: dict[str, Kind] = {kind.name: kind for kind in (
    _kind("customers", Customer, ("customer_id",),
          Column("customer_id", required=True), Column("email", EMAIL, required=True),
          Column("first_name"), Column("last_name"), Column("signup_at", DATETIME),
          Column("country", COUNTRY), Column("timezone", TIMEZONE),
          derived=("email_domain",)),
    _kind("products", Product, ("product_id",),
          Column("product_id", required=True), Column("name", required=True),
          Column("category"), Column("price", DECIMAL)),
    _kind("campaigns", Campaign, ("campaign_id",),
          Column("campaign_id", required=True), Column("name", required=True),
          Column("subject_line"), Column("sender_name"), Column("campaign_type"),
          Column("category"), Column("template_id"), Column("send_at", DATETIME),
          Column("html"), Column("template_type", choices=TEMPLATE_TYPES),
          derived=CONTENT_COLUMNS),
    _kind("variants", CampaignVariant, ("campaign_id", "variant_id"),
          Column("campaign_id", required=True), Column("variant_id", required=True),
          Column("subject_line"), Column("weight", FLOAT, default=1.0)),
    _kind("messages", Message, ("message_id",),
          Column("message_id", required=True), Column("campaign_id", required=True),
          Column("variant_id", default=""), Column("customer_id", required=True),
          Column("sent_at", DATETIME, required=True)),
    _kind("events", EmailEvent, ("event_id",),
          Column("event_id", required=True),
          Column("type", required=True, choices=EVENT_TYPES),
          Column("occurred_at", DATETIME, required=True),
          Column("message_id"), Column("campaign_id"), Column("customer_id"),
          Column("email", EMAIL), Column("url"), Column("user_agent"),
          Column("machine_open", BOOL, default=False),
          Column("bounce_type", choices=BOUNCE_TYPES),
          append_only=True),
    _kind("orders", Order, ("order_id",),
          Column("order_id", required=True), Column("customer_id", required=True),
          Column("occurred_at", DATETIME, required=True),
          Column("amount", DECIMAL, required=True), Column("currency", CURRENCY, required=True),
          Column("items", JSON_ARRAY)),
    _kind("touchpoints", Touchpoint, ("touchpoint_id",),
          Column("touchpoint_id", required=True), Column("customer_id", required=True),
          Column("channel", required=True, choices=CHANNELS), Column("campaign_id"),
          Column("occurred_at", DATETIME, required=True)),
    _kind("behavior", BehaviorEvent, ("event_id",),
          Column("event_id", required=True), Column("customer_id", required=True),
          Column("type", required=True, choices=BEHAVIOR_TYPES),
          Column("occurred_at", DATETIME, required=True), Column("product_id"),
          Column("properties", JSON_OBJECT)),
    _kind("spend", Spend, ("spend_id",),
          Column("spend_id", required=True), Column("incurred_on", DATE, required=True),
          Column("category", required=True), Column("cost_type"),
          Column("amount", DECIMAL, required=True), Column("currency", CURRENCY, required=True),
          Column("vendor"), Column("campaign_id")),
)}

# Import order: every kind after the kinds its rows refer to.
KINDS: tuple[str, ...] = tuple(KINDS_BY_NAME)


def get_kind(name: str) -> Kind:
    """The kind called ``name``; ``ValueError`` naming the known kinds otherwise."""
    try:
        return KINDS_BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}: use one of {', '.join(KINDS)}") from None
