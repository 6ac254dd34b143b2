"""Fixtures for page tests: the real app on the test database, seeded campaigns, keys."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.auth import create_api_key
from server.db.engine import session_scope
from server.db.models import Campaign, CampaignDailyRollup

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')

CAMPAIGNS = [
    Campaign(campaign_id="c-spring", name="Spring Sale", subject_line="Spring is here",
             campaign_type="promotional", category="apparel",
             send_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
    Campaign(campaign_id="c-welcome", name="Welcome Series 1", subject_line="Welcome!",
             campaign_type="lifecycle", category="onboarding",
             send_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC)),
    Campaign(campaign_id="c-xss", name="<script>alert(1)</script>", subject_line="x",
             campaign_type="newsletter", category="news",
             send_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC)),
]

SPRING_ROLLUP = CampaignDailyRollup(
    campaign_id="c-spring", variant_id="A", day=date(2026, 3, 1), sent=1000, delivered=980,
    unique_opens=300, unique_clicks=45, conversions=7, revenue=Decimal("1234.50"))


def seed_campaigns(engine: Engine, campaigns: list[Campaign] = CAMPAIGNS) -> None:
    with session_scope(engine) as session:
        for campaign in campaigns:
            session.add(Campaign.model_validate(campaign.model_dump()))
        session.add(CampaignDailyRollup.model_validate(SPRING_ROLLUP.model_dump()))


def make_key(engine: Engine, role: str) -> str:
    with session_scope(engine) as session:
        _, raw_key = create_api_key(session=session, name=f"{role} key", role=role)
    return raw_key


def csrf_from(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def log_in(client: TestClient, raw_key: str) -> str:
    """Sign ``client`` in through the form; returns the session's new CSRF token."""
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"api_key": raw_key, "csrf_token": token,
                                           "next": "/campaigns"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/campaigns").text)
