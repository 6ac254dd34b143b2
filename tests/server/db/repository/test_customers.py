"""Stored customer profiles read back by id."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine

from analytics.customers.profiles import compute_profiles
from analytics.customers.schemas import (
    AGENT_SCHEMA,
    BEHAVIOR_SCHEMA,
    ORDER_SCHEMA,
    PROFILE_SCHEMA,
    SEND_SCHEMA,
)
from server.db.repository.customers import profiles_of, write_profiles

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def test_a_page_of_profiles_whose_first_hundred_lack_a_value(engine: Engine) -> None:
    # Pages read up to 200 profiles in one statement: a column null in the first 100
    # rows and set later must not trip the frame's type inference.
    ids = [f"c{n:03d}" for n in range(150)]
    customers = pl.DataFrame({"customer_id": ids, "signup_at": [AS_OF] * 150,
                              "country": ["US"] * 150, "email_domain": ["x.com"] * 150})
    scores = pl.DataFrame({"customer_id": ["c120"], "churn_probability": [0.4],
                           "churn_risk": ["medium"]})
    profiles = compute_profiles(
        customers=customers, sends=pl.DataFrame(schema=SEND_SCHEMA),
        orders=pl.DataFrame(schema=ORDER_SCHEMA), behavior=pl.DataFrame(schema=BEHAVIOR_SCHEMA),
        agents=pl.DataFrame(schema=AGENT_SCHEMA), as_of=AS_OF, scores=scores)
    with engine.begin() as connection:
        write_profiles(connection, profiles, everyone=True)
    with engine.connect() as connection:
        found = profiles_of(connection, ids, PROFILE_SCHEMA)
    assert len(found) == 150
    assert (found["c120"]["churn_probability"], found["c120"]["churn_risk"]) == (0.4, "medium")
    assert found["c000"]["churn_probability"] is None
