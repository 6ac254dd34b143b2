"""Imports keep profiles and rule segments current, and the touched-customer refreshes
end exactly where one full recomputation does."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, update
from sqlmodel import Session, col

from analytics.customers.expressions import parse
from analytics.customers.profiles import compute_profiles
from analytics.customers.rules import PROFILE_FIELDS, members
from analytics.customers.schemas import INPUT_SCHEMAS, PROFILE_SCHEMA
from server.db.models import CustomerProfile
from server.db.repository.customers import profile_frame, profile_inputs
from server.db.repository.segments import current_members
from server.ingest import customers as refresh
from server.runners.customers import (
    NO_CHURN_SCORES,
    create_rule_segment,
    membership_drift,
    segment_note,
)
from tests.server.ingest.conftest import (
    CAMPAIGNS,
    CUSTOMERS,
    EVENTS,
    MESSAGES,
    ORDERS,
    VARIANTS,
    load_csv,
    load_world,
    table_rows,
)

AS_OF = datetime(2026, 3, 20, tzinfo=UTC)
RULES = {
    "openers": "open_rate_90d >= 0.5",
    "buyers": "purchases >= 1 and country in ['PT', 'US']",
    "quiet": "not opted_out and sends >= 1 and click_rate_90d is null",
}


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(refresh, "utcnow", lambda: AS_OF)
    return AS_OF


def test_an_import_refreshes_the_profiles_it_touches(engine: Engine, frozen: datetime):
    load_csv("customers", CUSTOMERS, engine)
    assert table_rows(engine, "SELECT customer_id, purchases, sends FROM customer_profile "
                              "ORDER BY customer_id") == [("u1", 0, 0), ("u2", 0, 0),
                                                          ("u3", 0, 0)]
    for kind, content in (("campaigns", CAMPAIGNS), ("variants", VARIANTS),
                          ("messages", MESSAGES), ("events", EVENTS), ("orders", ORDERS)):
        load_csv(kind, content, engine)
    rows = {row[0]: row[1:] for row in table_rows(engine, (
        "SELECT customer_id, purchases, lifetime_revenue, sends, open_rate_90d, "
        "click_rate_90d, opted_out FROM customer_profile"))}
    assert rows == {"u1": (3, 75.5, 2, 0.5, 0.5, False),
                    "u2": (0, 0.0, 1, 1.0, 0.0, True),  # the open proves delivery
                    "u3": (1, 99.99, 1, None, None, False)}


def _state(engine: Engine) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    profiles = profile_frame(engine, PROFILE_SCHEMA)
    with engine.connect() as connection:
        stored = {name: current_members(connection, name).to_list() for name in RULES}
    return profiles, stored


@pytest.mark.parametrize("cut", [1, 4, 8])
def test_incremental_membership_equals_a_full_recomputation(engine: Engine, frozen: datetime,
                                                            cut: int):
    load_csv("customers", CUSTOMERS, engine)
    for name, rule in RULES.items():
        create_rule_segment(engine, segment_id=name, name=name, definition=rule)
    load_csv("campaigns", CAMPAIGNS, engine)
    load_csv("variants", VARIANTS, engine)
    load_csv("messages", MESSAGES, engine)
    header, *lines = EVENTS.strip().splitlines()
    load_csv("events", "\n".join([header, *lines[:cut]]) + "\n", engine)
    load_csv("orders", ORDERS, engine)
    load_csv("events", "\n".join([header, *lines[cut:]]) + "\n", engine)

    profiles, stored = _state(engine)
    full = compute_profiles(**profile_inputs(engine, INPUT_SCHEMAS), as_of=AS_OF)
    assert_frame_equal(profiles, full)
    for name, rule in RULES.items():
        assert stored[name] == members(full, parse(rule, PROFILE_FIELDS)).to_list(), name
    assert stored == {"openers": ["u1", "u2"], "buyers": ["u1", "u3"], "quiet": ["u3"]}

    # A full refresh at the same moment moves nobody.
    result = refresh.refresh_everyone(engine, AS_OF)
    assert [result.entered[name] for name in RULES] == [0, 0, 0]
    assert [result.left[name] for name in RULES] == [0, 0, 0]
    assert _state(engine)[1] == stored


def test_a_failed_import_leaves_profiles_and_members_as_they_were(engine: Engine,
                                                                 frozen: datetime):
    load_csv("customers", CUSTOMERS, engine)
    create_rule_segment(engine, segment_id="buyers", name="buyers", definition="purchases >= 1")
    before = table_rows(engine, "SELECT * FROM customer_profile ORDER BY customer_id")
    bad = "order_id,customer_id,occurred_at,amount,currency\no9,u1,2026-03-02T12:01:00Z,-1,USD\n"
    with pytest.raises(Exception, match="amount"):
        load_csv("orders", bad, engine)
    assert table_rows(engine, "SELECT * FROM customer_profile ORDER BY customer_id") == before
    assert table_rows(engine, "SELECT customer_id FROM segment_member") == []


def test_orders_of_an_unknown_customer_leave_no_profile(engine: Engine, frozen: datetime):
    orders = ("order_id,customer_id,occurred_at,amount,currency\n"
              "o1,ghost,2026-03-02T12:00:00Z,5,USD\n")
    load_csv("orders", orders, engine)
    assert table_rows(engine, "SELECT customer_id FROM customer_profile") == []


def _refresh_jobs(engine: Engine) -> list[tuple]:
    return table_rows(engine, "SELECT id, state FROM job_run WHERE actor = "
                              "'refresh_segments' ORDER BY id")


def test_a_large_import_hands_the_refresh_to_the_job(engine: Engine, frozen: datetime,
                                                     monkeypatch: pytest.MonkeyPatch):
    from jobs.actors.segments import refresh_segments

    monkeypatch.setattr(refresh, "INLINE_CUSTOMERS", 1)  # the world's imports touch 2-3
    for name, rule in RULES.items():
        create_rule_segment(engine, segment_id=name, name=name, definition=rule)
    load_csv("customers", CUSTOMERS, engine)
    # Facts stored, profiles left to the job, which is queued and says so.
    assert table_rows(engine, "SELECT customer_id FROM customer") == [("u1",), ("u2",),
                                                                     ("u3",)]
    assert table_rows(engine, "SELECT customer_id FROM customer_profile") == []
    assert refresh.refresh_pending(engine)
    [(job_id, state)] = _refresh_jobs(engine)
    assert state == "queued"
    for kind, content in (("campaigns", CAMPAIGNS), ("variants", VARIANTS),
                          ("messages", MESSAGES), ("events", EVENTS), ("orders", ORDERS)):
        load_csv(kind, content, engine)
    # One small import (a single customer's order) still refreshes inline...
    load_csv("orders", "order_id,customer_id,occurred_at,amount,currency\n"
                       "o9,u2,2026-03-09T10:00:00Z,5,USD\n", engine)
    assert table_rows(engine, "SELECT customer_id, purchases FROM customer_profile") == [
        ("u2", 1)]
    # ...and the large ones reuse the queued job, which has not read anything yet.
    assert _refresh_jobs(engine) == [(job_id, "queued")]

    refresh_segments(job_id)

    assert _refresh_jobs(engine) == [(job_id, "done")]
    assert not refresh.refresh_pending(engine)
    profiles, stored = _state(engine)
    full = compute_profiles(**profile_inputs(engine, INPUT_SCHEMAS), as_of=AS_OF)
    assert_frame_equal(profiles, full)
    for name, rule in RULES.items():
        assert stored[name] == members(full, parse(rule, PROFILE_FIELDS)).to_list(), name
    assert stored == {"openers": ["u1", "u2"], "buyers": ["u1", "u3"], "quiet": ["u3"]}


def test_a_refresh_that_cannot_be_queued_leaves_the_import_stored(
        engine: Engine, frozen: datetime, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture):
    def broker_down(*_: object, **__: object) -> int:
        raise ConnectionError("broker down")

    monkeypatch.setattr(refresh, "INLINE_CUSTOMERS", 2)
    monkeypatch.setattr(refresh, "send", broker_down)
    load_csv("customers", CUSTOMERS, engine)
    assert len(table_rows(engine, "SELECT customer_id FROM customer")) == 3
    assert "could not queue refresh_segments" in caplog.text


def _publish_churn(engine: Engine, probabilities: dict[str, float]) -> None:
    from analytics.predictions.churn import risk_levels
    from server.db.models import CustomerScore, ModelVersion, ScoreRun

    with Session(engine) as session:
        version = ModelVersion(
            kind="churn", served="baseline", reason="test", metrics="{}", calibration="{}",
            importance="{}", features="{}", train_cutoff=AS_OF, holdout_cutoff=AS_OF,
            data_to=AS_OF, horizon_days=30, train_rows=1, holdout_rows=1, artifact=b"",
            checksum="0", active=True)
        session.add(version)
        session.flush()
        run = ScoreRun(version_id=version.id or 0, kind="churn", as_of=AS_OF, shards=1,
                       rows=len(probabilities), completed_at=AS_OF)
        session.add(run)
        session.flush()
        levels = risk_levels(np.array(list(probabilities.values())))
        for (customer, probability), level in zip(probabilities.items(), levels,
                                                  strict=True):
            session.add(CustomerScore(run_id=run.id or 0, customer_id=customer, shard=0,
                                      probability=probability, risk_level=level))
        session.commit()


def test_churn_risk_segments_follow_the_published_scores(engine: Engine, frozen: datetime):
    load_world(engine)
    create_rule_segment(engine, segment_id="likely", name="Likely to churn",
                        definition="churn_probability >= 0.5")
    refresh.refresh_everyone(engine, AS_OF)
    churn = [f"churn-risk-{level}" for level in ("low", "medium", "high", "critical")]
    assert table_rows(engine, "SELECT segment_id, definition FROM segment WHERE kind = "
                              "'churn_risk' ORDER BY segment_id") == [
        ("churn-risk-critical", 'churn_risk == "critical"'),
        ("churn-risk-high", 'churn_risk == "high"'),
        ("churn-risk-low", 'churn_risk == "low"'),
        ("churn-risk-medium", 'churn_risk == "medium"')]
    # No scores yet: empty, and the segments say why.
    assert segment_note(engine, "churn_risk") == NO_CHURN_SCORES
    assert segment_note(engine, "rule") is None
    with engine.connect() as connection:
        assert all(current_members(connection, name).len() == 0 for name in churn)

    _publish_churn(engine, {"u1": 0.1, "u2": 0.55, "u3": 0.8})
    refresh.refresh_everyone(engine, AS_OF)
    assert segment_note(engine, "churn_risk") is None
    assert table_rows(engine, "SELECT customer_id, churn_probability, churn_risk FROM "
                              "customer_profile ORDER BY customer_id") == [
        ("u1", 0.1, "low"), ("u2", 0.55, "high"), ("u3", 0.8, "critical")]
    with engine.connect() as connection:
        found = {name: current_members(connection, name).to_list()
                 for name in [*churn, "likely"]}
    assert found == {"churn-risk-low": ["u1"], "churn-risk-medium": [],
                     "churn-risk-high": ["u2"], "churn-risk-critical": ["u3"],
                     "likely": ["u2", "u3"]}
    # An import refreshes the touched customer's score-based memberships too.
    load_csv("orders", "order_id,customer_id,occurred_at,amount,currency\n"
                       "o9,u2,2026-03-09T10:00:00Z,5,USD\n", engine)
    assert membership_drift(engine) == {}


def test_a_full_refresh_keeps_profiles_an_import_wrote_while_it_computed(
        engine: Engine, frozen: datetime, monkeypatch: pytest.MonkeyPatch):
    load_world(engine)
    compute = refresh.compute_profiles
    later = datetime(2026, 3, 20, 0, 1, tzinfo=UTC)

    def computed_then_an_import_commits(**inputs: object) -> pl.DataFrame:
        profiles = compute(**inputs)  # from the refresh's read: u2 has no order
        # what an import's refresh writes for u2 meanwhile (a later, newer profile)
        with engine.begin() as connection:
            connection.execute(update(CustomerProfile).where(
                col(CustomerProfile.customer_id) == "u2").values(purchases=7,
                                                                  computed_at=later))
        return profiles

    monkeypatch.setattr(refresh, "compute_profiles", computed_then_an_import_commits)
    refresh.refresh_everyone(engine)  # as of now (the frozen clock)
    assert table_rows(engine, "SELECT customer_id, purchases FROM customer_profile "
                              "ORDER BY customer_id") == [("u1", 3), ("u2", 7), ("u3", 1)]
    # A refresh as of a given moment asked for that moment's state: it keeps nothing.
    refresh.refresh_everyone(engine, AS_OF)
    assert table_rows(engine, "SELECT customer_id, purchases FROM customer_profile "
                              "ORDER BY customer_id") == [("u1", 3), ("u2", 0), ("u3", 1)]
