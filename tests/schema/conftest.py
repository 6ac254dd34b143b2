"""A small literal world (campaigns, sends, customers, segments, jobs) and a runner."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from strawberry.types import ExecutionResult

from schema.operations import execute
from server.auth import Principal
from server.db.engine import session_scope
from server.db.models import (
    Campaign,
    CampaignVariant,
    Customer,
    JobRun,
    Message,
    Segment,
    SegmentMember,
)
from server.db.repository.rollups import refresh_rollups


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


CAMPAIGNS = [
    Campaign(campaign_id="c1", name="Spring Sale", subject_line="Spring is here",
             sender_name="Acme", campaign_type="promotional", category="apparel",
             template_id="t-1", send_at=at(1)),
    Campaign(campaign_id="c2", name="Welcome Series", subject_line="Welcome!",
             sender_name="Acme", campaign_type="lifecycle", category="onboarding",
             send_at=at(1, month=2)),
    Campaign(campaign_id="c3", name="March Newsletter", subject_line="News for March",
             sender_name="Acme News", campaign_type="newsletter", category="news",
             send_at=at(15, 12)),
    Campaign(campaign_id="c4", name="Draft Promo", campaign_type="promotional",
             category="apparel"),
]
VARIANTS = [
    CampaignVariant(campaign_id="c1", variant_id="A", subject_line="Spring is here",
                    weight=0.5),
    CampaignVariant(campaign_id="c1", variant_id="B", subject_line="Spring sale: 20% off",
                    weight=0.5),
]
MESSAGES = [
    Message(message_id="m1", campaign_id="c1", variant_id="A", customer_id="u1",
            sent_at=at(1), delivered_at=at(1), first_open_at=at(1, 10), open_count=2,
            first_human_open_at=at(1, 10), first_click_at=at(1, 11), click_count=1,
            conversions=1, revenue=Decimal("40.00")),
    Message(message_id="m2", campaign_id="c1", variant_id="B", customer_id="u2",
            sent_at=at(1), delivered_at=at(1), first_open_at=at(2), open_count=1),
    Message(message_id="m3", campaign_id="c1", variant_id="B", customer_id="u3",
            sent_at=at(1), bounced_at=at(1), bounce_type="hard"),
    Message(message_id="m4", campaign_id="c2", customer_id="u1", sent_at=at(2, month=2),
            delivered_at=at(2, month=2), first_open_at=at(2, 10, month=2), open_count=1,
            conversions=1, revenue=Decimal("19.99")),
    Message(message_id="m5", campaign_id="c3", customer_id="u1", sent_at=at(15, 12),
            delivered_at=at(15, 12), unsubscribed_at=at(16)),
    Message(message_id="m6", campaign_id="c3", customer_id="u2", sent_at=at(15, 12),
            delivered_at=at(15, 12), complained_at=at(16)),
]
CUSTOMERS = [
    Customer(customer_id="u1", email="ana@example.com", first_name="Ana", last_name="Lopez",
             signup_at=at(1, month=1), country="ES", timezone="Europe/Madrid",
             email_domain="example.com"),
    Customer(customer_id="u2", email="bob@mail.test", first_name="Bob", last_name="Smith",
             country="US", timezone="America/New_York", email_domain="mail.test"),
    Customer(customer_id="u3", email="cara@example.com", first_name="Cara", last_name="Jones",
             country="US", email_domain="example.com"),
]
SEGMENTS = [
    Segment(segment_id="s-vip", name="VIP", description="Spent over 100"),
    Segment(segment_id="s-new", name="Newcomers"),
]
MEMBERS = [SegmentMember(segment_id="s-vip", customer_id="u1"),
           SegmentMember(segment_id="s-vip", customer_id="u2")]
JOBS = [
    JobRun(actor="rebuild_rollups", state="done", progress=1.0, detail="4 campaigns",
           created_at=at(20), started_at=at(20), finished_at=at(20, 10)),
    JobRun(actor="rebuild_rollups", state="queued", created_at=at(21)),
]


def _copies(rows: list[Any]) -> list[Any]:
    return [type(row).model_validate(row.model_dump()) for row in rows]


@pytest.fixture
def world(db: Engine) -> Engine:
    """The literal rows above, with rollups refreshed from the messages."""
    engine = db
    with session_scope(engine) as session:
        for group in (CAMPAIGNS, VARIANTS, MESSAGES, CUSTOMERS, SEGMENTS):
            session.add_all(_copies(group))
        session.flush()
        session.add_all(_copies(MEMBERS))
        session.add_all(_copies(JOBS))
    with engine.begin() as connection:
        refresh_rollups(connection)
    return engine


VIEWER = Principal(key_id=1, name="viewer key", role="viewer")
ANALYST = Principal(key_id=2, name="analyst key", role="analyst")
ADMIN = Principal(key_id=3, name="admin key", role="admin")
INGEST = Principal(key_id=4, name="ingest key", role="ingest")


async def run(engine: Engine, query: str, variables: dict[str, Any] | None = None, *,
              user: Principal = VIEWER) -> ExecutionResult:
    return await execute(query, variables, user=user, engine=engine)


async def data_of(engine: Engine, query: str, variables: dict[str, Any] | None = None, *,
                  user: Principal = VIEWER) -> dict[str, Any]:
    result = await run(engine, query, variables, user=user)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def messages_of(result: ExecutionResult) -> list[str]:
    return [error.message for error in result.errors or []]

def rounded(value, places: int = 12):
    """``value`` with every float rounded: golden values are compared to 12 decimals (the
    engine may divide 5 by 12 a last bit differently from Python)."""
    if isinstance(value, float):
        return round(value, places)
    if isinstance(value, dict):
        return {key: rounded(item, places) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item, places) for item in value]
    return value
