"""A small shop for the personalisation tests: the ingest world (u1 a frequent buyer,
u2 unsubscribed, u3 bounced with one order) plus u4, a new customer with no first name,
profiles as of ``AS_OF`` and two example rules."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from analytics.personalisation.rules import Rule
from server.ingest.customers import refresh_everyone
from server.runners import personalisation as runner
from tests.server.ingest.conftest import load_csv, load_world

AS_OF = datetime(2026, 3, 20, tzinfo=UTC)
# 08:00 in Lisbon, 09:00 in Stockholm, 04:00 in New York, 17:00 in Tokyo.
RENDER_AT = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
NEWCOMER = """customer_id,email,first_name,last_name,signup_at,country,timezone
u4,dee@example.org,,,2026-03-15T10:00:00Z,JP,Asia/Tokyo
"""
RULES = (
    Rule(0, "Big spenders", "purchases >= 3", "offer", "Free shipping", 20),
    Rule(0, "Any buyer", "purchases >= 1", "offer", "10% off", 10),
    Rule(0, "Morning", "local_hour >= 5 and local_hour < 12", "greeting", "Good morning", 0),
)


def load_shop(engine: Engine, *, rules: bool = True) -> Engine:
    load_world(engine)
    load_csv("customers", NEWCOMER, engine)
    refresh_everyone(engine, AS_OF)
    if rules:
        for rule in RULES:
            runner.create_rule(engine, rule)
    return engine


def publish_ltv_scores(engine: Engine, values: dict[str, float]) -> None:
    """A completed lifetime-value run scoring ``values`` (customer -> predicted value)."""
    from sqlmodel import Session

    from server.db.models import CustomerScore, ModelVersion, ScoreRun

    with Session(engine) as session:
        version = ModelVersion(
            kind="ltv", served="baseline", reason="test", metrics="{}", calibration="[]",
            importance="{}", features="[]", train_cutoff=AS_OF, holdout_cutoff=AS_OF,
            data_to=AS_OF, horizon_days=90, train_rows=1, holdout_rows=1, artifact=b"x",
            checksum="x", active=True)
        session.add(version)
        session.flush()
        run = ScoreRun(version_id=version.id or 0, kind="ltv", as_of=AS_OF, shards=1,
                       rows=len(values), completed_at=AS_OF)
        session.add(run)
        session.flush()
        session.add_all(CustomerScore(run_id=run.id or 0, customer_id=customer, shard=0,
                                      predicted_value=value, expected_orders=1.0,
                                      p_alive=0.5) for customer, value in values.items())
        session.commit()
