"""Erasure covers every table keyed by customer, and the rows that name a customer
without a customer_id column: webhook bodies, quarantined events, job arguments, score
counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Engine, String, Table, text
from sqlmodel import SQLModel

from server.db.engine import session_scope
from server.db.models import (
    CustomerScore,
    JobRun,
    ModelVersion,
    ScoreRun,
    ScoreShard,
    WebhookQuarantine,
)
from server.db.repository import erasure
from server.db.repository.webhooks import mark_folded, store_delivery
from tests.worlds import dashboard

AT = datetime(2026, 3, 20, tzinfo=UTC)


def _one(engine: Engine, sql: str) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def _erase(engine: Engine, customer_id: str) -> erasure.Erased:
    with engine.begin() as connection:
        return erasure.erase_customer(connection, customer_id)


def test_every_table_with_a_customer_id_is_erased() -> None:
    assert erasure.uncovered_tables() == []


@pytest.fixture
def new_table() -> Iterator[Table]:
    table = Table("loyalty_points", SQLModel.metadata, Column("customer_id", String),
                  Column("points", String))
    yield table
    SQLModel.metadata.remove(table)


def test_a_new_customer_table_stops_erasure_until_covered(db: Engine,
                                                          new_table: Table) -> None:
    dashboard.load_world(db)
    assert erasure.uncovered_tables() == ["loyalty_points"]
    with pytest.raises(erasure.ErasureRefused, match="loyalty_points"):
        _erase(db, "u1")
    assert _one(db, "SELECT count(*) FROM customer WHERE customer_id = 'u1'") == 1


def _score(engine: Engine) -> None:
    with session_scope(engine) as session:
        version = ModelVersion(kind="churn", served="model", reason="r", metrics="{}",
                               calibration="[]", importance="{}", features="[]",
                               train_cutoff=AT, holdout_cutoff=AT, data_to=AT,
                               horizon_days=60, train_rows=8, holdout_rows=2,
                               artifact=b"x", checksum="0" * 64, active=True)
        session.add(version)
        session.flush()
        run = ScoreRun(version_id=version.id, kind="churn", as_of=AT, shards=1, rows=2,
                       completed_at=AT)
        session.add(run)
        session.flush()
        session.add(ScoreShard(run_id=run.id, shard=0, rows=2))
        session.add_all(CustomerScore(run_id=run.id, customer_id=customer, shard=0,
                                      probability=0.5) for customer in ("u1", "u2"))


def test_erasure_reaches_rows_that_name_the_customer_indirectly(db: Engine) -> None:
    dashboard.load_world(db)
    _score(db)
    folded, _ = store_delivery(engine=db, provider="sendgrid", body=json.dumps(
        [{"email": "ANA@gmail.com", "event": "open"}]).encode())
    with db.begin() as connection:
        mark_folded(connection, folded, 1, 0)
    other, _ = store_delivery(engine=db, provider="sendgrid", body=json.dumps(
        [{"email": "bo@gmail.com", "event": "open", "sg_message_id": "m110"}]).encode())
    with db.begin() as connection:
        mark_folded(connection, other, 1, 0)
    with session_scope(db) as session:
        session.add(WebhookQuarantine(provider="sendgrid", event_key="sendgrid:k1",
                                      event_type="weird", reason="unknown type",
                                      payload='{"sg_message_id": "m21"}'))
        session.add(JobRun(actor="evaluate_triggers", state="done",
                           args=json.dumps({"customer_ids": ["u1", "u2"]})))
    erased = _erase(db, "u1")
    assert erased.webhook_deliveries_redacted == 1
    assert erased.deleted["webhook_quarantine"] == 1
    assert erased.deleted["customer_score"] == 1
    assert _one(db, f"SELECT body FROM webhook_delivery WHERE id = {folded}").startswith(
        "(erased")
    assert "bo@gmail.com" in str(_one(db, f"SELECT body FROM webhook_delivery WHERE id = {other}"))
    assert json.loads(str(_one(db, "SELECT args FROM job_run"))) == {"customer_ids": ["u2"]}
    assert _one(db, "SELECT rows FROM score_run") == 1
    assert _one(db, "SELECT rows FROM score_shard") == 1
    # One tombstone each for the id, the address (as an id and as an email) and 2 sends.
    assert erased.tombstones == 5


def test_a_delivery_waiting_to_be_folded_holds_the_erasure_back(db: Engine) -> None:
    dashboard.load_world(db)
    pending, _ = store_delivery(engine=db, provider="mailgun", body=json.dumps(
        {"event-data": {"recipient": "ana@gmail.com"}}).encode())
    with pytest.raises(erasure.ErasureRefused, match=rf"ids {pending}\); let the fold"):
        _erase(db, "u1")
    assert _one(db, "SELECT count(*) FROM message WHERE customer_id = 'u1'") == 2
